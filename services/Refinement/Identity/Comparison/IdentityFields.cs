namespace HealthMedallion.Refinement.Identity.Comparison;

/// <summary>A compared field and its graded levels, from the strongest agreement to disagreement.</summary>
public sealed record IdentityField(string Name, IReadOnlyList<string> Levels)
{
    public int LevelCount => Levels.Count;
}

/// <summary>The fields two source records are compared on (<see cref="RecordComparison"/> computes their levels).</summary>
public static class IdentityFields
{
    /// <summary>The level of a field that either record lacks: no evidence either way.</summary>
    public const byte Missing = byte.MaxValue;

    public const int FirstName = 0;
    public const int LastName = 1;
    public const int Suffix = 2;
    public const int BirthDate = 3;
    public const int Sex = 4;
    public const int Phone = 5;
    public const int Zip = 6;
    public const int Address = 7;
    public const int Mrn = 8;
    public const int SsnHash = 9;
    public const int Email = 10;

    public static IReadOnlyList<IdentityField> All { get; } =
    [
        new("first_name", ["exact", "nickname", "jaro_winkler_0.92", "jaro_winkler_0.80_or_initial", "different"]),
        new("last_name", ["exact", "jaro_winkler_0.92", "jaro_winkler_0.80", "different"]),
        new("suffix", ["same", "one_side_only", "different"]),
        new("date_of_birth", ["exact", "transposed_or_one_off", "same_year", "different"]),
        new("sex", ["same", "different"]),
        new("phone", ["exact", "one_digit_off", "different"]),
        new("zip", ["exact", "same_zip3", "different"]),
        new("address", ["exact", "jaro_winkler_0.90", "different"]),
        new("mrn", ["exact", "different"]),
        new("ssn_hash", ["exact", "different"]),
        new("email", ["exact", "different"]),
    ];

    public static int Count => All.Count;
}
