using HealthMedallion.Refinement.Identity.Records;

namespace HealthMedallion.Refinement.Identity.Comparison;

/// <summary>The graded comparison of two source records, field by field (<see cref="IdentityFields"/>).</summary>
public static class RecordComparison
{
    /// <summary>Writes the level of every field into <paramref name="levels"/> (<see cref="IdentityFields.Missing"/> where a side lacks it).</summary>
    public static void Compare(IdentityRecord a, IdentityRecord b, Span<byte> levels)
    {
        // Names swapped between the given and family name fields are compared the way round that agrees better.
        var first = FirstNameLevel(a.FirstName, b.FirstName);
        var last = LastNameLevel(a.LastName, b.LastName);
        if (first + last > 0 && a.FirstName is not null && a.LastName is not null && b.FirstName is not null && b.LastName is not null)
        {
            var crossedFirst = FirstNameLevel(a.FirstName, b.LastName);
            var crossedLast = LastNameLevel(a.LastName, b.FirstName);
            if (crossedFirst + crossedLast < first + last)
            {
                (first, last) = (crossedFirst, crossedLast);
            }
        }

        levels[IdentityFields.FirstName] = first;
        levels[IdentityFields.LastName] = last;
        levels[IdentityFields.Suffix] = SuffixLevel(a.Suffix, b.Suffix);
        levels[IdentityFields.BirthDate] = BirthDateLevel(a.BirthDate, b.BirthDate);
        levels[IdentityFields.Sex] = a.Sex is null || b.Sex is null ? IdentityFields.Missing : a.Sex == b.Sex ? (byte)0 : (byte)1;
        levels[IdentityFields.Phone] = PhoneLevel(a.Phone, b.Phone);
        levels[IdentityFields.Zip] = ZipLevel(a.Zip, b.Zip);
        levels[IdentityFields.Address] = a.Address is null || b.Address is null ? IdentityFields.Missing
            : a.Address == b.Address ? (byte)0 : JaroWinkler.Similarity(a.Address, b.Address) >= 0.90 ? (byte)1 : (byte)2;
        levels[IdentityFields.Mrn] = Exact(a.Mrn, b.Mrn);
        levels[IdentityFields.SsnHash] = Exact(a.SsnHash, b.SsnHash);
        levels[IdentityFields.Email] = Exact(a.Email, b.Email);
    }

    public static byte FirstNameLevel(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return IdentityFields.Missing;
        }

        if (a == b)
        {
            return 0;
        }

        if (Nicknames.AreEquivalent(a, b))
        {
            return 1;
        }

        var similarity = JaroWinkler.Similarity(a, b);
        if (similarity >= 0.92)
        {
            return 2;
        }

        // An initial for a name (J for JOHN) says as much as a close spelling.
        var initial = (a.Length == 1 || b.Length == 1) && a[0] == b[0];
        return similarity >= 0.80 || initial ? (byte)3 : (byte)4;
    }

    public static byte LastNameLevel(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return IdentityFields.Missing;
        }

        if (a == b)
        {
            return 0;
        }

        var similarity = JaroWinkler.Similarity(a, b);
        return similarity >= 0.92 ? (byte)1 : similarity >= 0.80 ? (byte)2 : (byte)3;
    }

    /// <summary>Jr against Sr, or Jr against II, is a different person; a suffix on one side only is weak evidence either way.</summary>
    public static byte SuffixLevel(string? a, string? b) => (a, b) switch
    {
        (null, null) => IdentityFields.Missing,
        (null, _) or (_, null) => 1,
        _ => a == b ? (byte)0 : (byte)2,
    };

    /// <summary>Exact; day and month transposed, one day apart or one digit wrong (typing errors); same year; different.</summary>
    public static byte BirthDateLevel(DateOnly? a, DateOnly? b)
    {
        if (a is not { } x || b is not { } y)
        {
            return IdentityFields.Missing;
        }

        if (x == y)
        {
            return 0;
        }

        var transposed = x.Year == y.Year && x.Month == y.Day && x.Day == y.Month;
        var oneDay = Math.Abs(x.DayNumber - y.DayNumber) == 1;
        if (transposed || oneDay || DigitsApart(x, y) == 1)
        {
            return 1;
        }

        return x.Year == y.Year ? (byte)2 : (byte)3;
    }

    /// <summary>How many of the eight digits of yyyymmdd differ.</summary>
    private static int DigitsApart(DateOnly x, DateOnly y)
    {
        var a = (x.Year * 10_000) + (x.Month * 100) + x.Day;
        var b = (y.Year * 10_000) + (y.Month * 100) + y.Day;
        var differing = 0;
        for (var i = 0; i < 8; i++, a /= 10, b /= 10)
        {
            if (a % 10 != b % 10)
            {
                differing++;
            }
        }

        return differing;
    }

    public static byte PhoneLevel(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return IdentityFields.Missing;
        }

        if (a == b)
        {
            return 0;
        }

        if (a.Length != b.Length)
        {
            return 2;
        }

        // One digit wrong, or two neighbours swapped: a typing error.
        var first = -1;
        var differing = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                first = differing == 0 ? i : first;
                differing++;
            }
        }

        var swapped = differing == 2 && first + 1 < a.Length && a[first] == b[first + 1] && a[first + 1] == b[first];
        return differing == 1 || swapped ? (byte)1 : (byte)2;
    }

    public static byte ZipLevel(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return IdentityFields.Missing;
        }

        return a == b ? (byte)0 : string.CompareOrdinal(a, 0, b, 0, 3) == 0 ? (byte)1 : (byte)2;
    }

    private static byte Exact(string? a, string? b) => a is null || b is null ? IdentityFields.Missing : a == b ? (byte)0 : (byte)1;
}
