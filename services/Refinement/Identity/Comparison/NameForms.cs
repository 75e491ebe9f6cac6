using System.Text;

namespace HealthMedallion.Refinement.Identity.Comparison;

/// <summary>How names are compared and blocked: upper-case letters only, a generational suffix apart, a phonetic code.</summary>
public static class NameForms
{
    private static readonly string[] Suffixes = ["JR", "SR", "II", "III", "IV"];

    /// <summary>Upper-case ASCII letters of <paramref name="name"/> (O'Brien-Smith: OBRIENSMITH); null when there are none.</summary>
    public static string? Letters(string? name)
    {
        if (name is null)
        {
            return null;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            var upper = char.ToUpperInvariant(c);
            if (upper is >= 'A' and <= 'Z')
            {
                builder.Append(upper);
            }
        }

        return builder.Length == 0 ? null : builder.ToString();
    }

    /// <summary>The family name without a trailing generational suffix (<c>Smith Jr</c>: Smith and JR), as letters.</summary>
    public static (string? Family, string? Suffix) FamilyAndSuffix(string? lastName)
    {
        if (lastName is null)
        {
            return (null, null);
        }

        var words = lastName.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 1 && Letters(words[^1]) is { } last && Array.IndexOf(Suffixes, last) >= 0)
        {
            return (Letters(string.Join(' ', words[..^1])), last);
        }

        return (Letters(lastName), null);
    }

    /// <summary>
    /// A Soundex-style code of letters: the first letter, then up to three digits for the consonant sounds that follow
    /// (similar sounds share a digit; vowels separate repeated sounds, H and W do not). Typos that keep the sound, and
    /// many that do not touch the first consonants, keep the code.
    /// </summary>
    public static string? Phonetic(string? letters)
    {
        if (string.IsNullOrEmpty(letters))
        {
            return null;
        }

        Span<char> code = ['0', '0', '0', '0'];
        code[0] = letters[0];
        var length = 1;
        var previous = SoundOf(letters[0]);
        for (var i = 1; i < letters.Length && length < 4; i++)
        {
            var sound = SoundOf(letters[i]);
            if (sound == 'h')
            {
                continue; // H and W: the sounds either side count as one
            }

            if (sound != '0' && sound != previous)
            {
                code[length++] = sound;
            }

            previous = sound;
        }

        return new string(code);
    }

    private static char SoundOf(char letter) => letter switch
    {
        'B' or 'F' or 'P' or 'V' => '1',
        'C' or 'G' or 'J' or 'K' or 'Q' or 'S' or 'X' or 'Z' => '2',
        'D' or 'T' => '3',
        'L' => '4',
        'M' or 'N' => '5',
        'R' => '6',
        'H' or 'W' => 'h',
        _ => '0',
    };
}
