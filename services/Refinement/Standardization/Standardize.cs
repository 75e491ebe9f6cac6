using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace HealthMedallion.Refinement.Standardization;

/// <summary>Source values to the platform's standard forms. Each function returns null for a value it cannot read.</summary>
public static partial class Standardize
{
    /// <summary>Male/Female, M/F/U, male/female, in any case, to M, F or U; null when present but unknown.</summary>
    public static char? Sex(string value) => value.Trim().ToUpperInvariant() switch
    {
        "M" or "MALE" => 'M',
        "F" or "FEMALE" => 'F',
        "U" or "UNKNOWN" or "X" or "O" or "OTHER" => 'U',
        _ => null,
    };

    public static bool? Boolean(string value) => value.Trim().ToUpperInvariant() switch
    {
        "YES" or "Y" or "TRUE" or "T" or "1" => true,
        "NO" or "N" or "FALSE" or "F" or "0" => false,
        _ => null,
    };

    /// <summary>A decimal in invariant notation; a leading <c>$</c> and thousands separators are tolerated.</summary>
    public static decimal? Amount(string value)
    {
        var text = value.Trim();
        if (text.StartsWith('$'))
        {
            text = text[1..];
        }

        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands,
            CultureInfo.InvariantCulture, out var amount) ? amount : null;
    }

    public static int? Integer(string value) =>
        int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>A North American number in E.164 (<c>+12125550100</c>) from any punctuation; null unless 10 digits (or 11 starting with 1).</summary>
    public static string? Phone(string value)
    {
        Span<char> digits = stackalloc char[11];
        var count = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == digits.Length)
                {
                    return null;
                }

                digits[count++] = c;
            }
            else if (c is not (' ' or '-' or '(' or ')' or '.' or '+'))
            {
                return null;
            }
        }

        if (count == 11 && digits[0] == '1')
        {
            return string.Concat("+", digits[..11]);
        }

        return count == 10 ? string.Concat("+1", digits[..10]) : null;
    }

    /// <summary>Trimmed and lower-cased; null unless it looks like <c>local@domain.tld</c>.</summary>
    public static string? Email(string value)
    {
        var email = value.Trim().ToLowerInvariant();
        return EmailPattern().IsMatch(email) ? email : null;
    }

    /// <summary>Trimmed, inner runs of spaces collapsed, each word capitalised (<c>mcDONALD  jr</c> to <c>Mcdonald Jr</c>).</summary>
    public static string? Name(string value)
    {
        var builder = new StringBuilder(value.Length);
        var capitalize = true;
        var pendingSpace = false;
        foreach (var c in value.AsSpan().Trim())
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
                capitalize = true;
            }

            builder.Append(capitalize ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            capitalize = c is '-' or '\'';
        }

        var name = builder.ToString();
        return name.Length == 0 ? null : name;
    }

    /// <summary>A two-letter state code, upper case; null unless it is one of the 50 states or DC.</summary>
    public static string? State(string value)
    {
        var state = value.Trim().ToUpperInvariant();
        return Regions.OfState(state) is null ? null : state;
    }

    /// <summary>The five digits of a ZIP or ZIP+4 code; null otherwise.</summary>
    public static string? Zip(string value)
    {
        var zip = value.Trim();
        return ZipPattern().IsMatch(zip) ? zip[..5] : null;
    }

    /// <summary>Completed years from <paramref name="birth"/> to <paramref name="asOf"/>.</summary>
    public static int Age(DateOnly birth, DateOnly asOf)
    {
        var age = asOf.Year - birth.Year;
        return asOf < birth.AddYears(age) ? age - 1 : age;
    }

    [GeneratedRegex(@"^[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^[0-9]{5}(-[0-9]{4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex ZipPattern();
}
