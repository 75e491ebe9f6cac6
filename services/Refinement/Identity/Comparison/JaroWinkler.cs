namespace HealthMedallion.Refinement.Identity.Comparison;

/// <summary>
/// Jaro-Winkler similarity (0..1) of two strings: the share of characters they have in common within a window,
/// discounted for transpositions, with a bonus for a common prefix of up to four characters (names typed wrong
/// tend to be wrong towards their end).
/// </summary>
public static class JaroWinkler
{
    private const double PrefixScale = 0.1;

    public static double Similarity(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            return a.Length == b.Length ? 1 : 0;
        }

        if (a.SequenceEqual(b))
        {
            return 1;
        }

        if (a.Length > b.Length)
        {
            var swap = a;
            a = b;
            b = swap;
        }

        // Names are short: the flags fit on the stack.
        Span<bool> aMatched = a.Length <= 64 ? stackalloc bool[a.Length] : new bool[a.Length];
        Span<bool> bMatched = b.Length <= 64 ? stackalloc bool[b.Length] : new bool[b.Length];
        var window = Math.Max(0, (b.Length / 2) - 1);
        var matches = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var from = Math.Max(0, i - window);
            var to = Math.Min(b.Length - 1, i + window);
            for (var j = from; j <= to; j++)
            {
                if (!bMatched[j] && a[i] == b[j])
                {
                    aMatched[i] = bMatched[j] = true;
                    matches++;
                    break;
                }
            }
        }

        if (matches == 0)
        {
            return 0;
        }

        var halfTranspositions = 0;
        for (int i = 0, j = 0; i < a.Length; i++)
        {
            if (!aMatched[i])
            {
                continue;
            }

            while (!bMatched[j])
            {
                j++;
            }

            if (a[i] != b[j])
            {
                halfTranspositions++;
            }

            j++;
        }

        double m = matches;
        var jaro = ((m / a.Length) + (m / b.Length) + ((m - (halfTranspositions / 2)) / m)) / 3;
        var prefix = 0;
        while (prefix < Math.Min(4, a.Length) && a[prefix] == b[prefix])
        {
            prefix++;
        }

        return jaro + (prefix * PrefixScale * (1 - jaro));
    }
}
