using System.Collections.Frozen;

namespace HealthMedallion.Refinement.Deidentification;

/// <summary>The HIPAA Safe Harbor generalisations (45 CFR 164.514(b)(2)) that silver applies to what it keeps.</summary>
public static class SafeHarbor
{
    /// <summary>Ages from here on are reported as <see cref="AgeCap"/> (the rule says "over 89"; the seeds also turn 89 into 90).</summary>
    public const int FirstCappedAge = 89;

    public const int AgeCap = 90;

    /// <summary>
    /// Three-digit ZIP prefixes whose area holds 20,000 people or fewer (Census 2000, as listed by HHS): reported as 000.
    /// </summary>
    public static FrozenSet<string> RestrictedZip3 { get; } = new[]
    {
        "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890", "893",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static int Age(int years) => years >= FirstCappedAge ? AgeCap : years;

    /// <summary>The first three digits of a five-digit ZIP, or 000 for the restricted prefixes.</summary>
    public static string Zip3(string zip5)
    {
        ArgumentNullException.ThrowIfNull(zip5);
        var prefix = zip5[..3];
        return RestrictedZip3.Contains(prefix) ? "000" : prefix;
    }
}
