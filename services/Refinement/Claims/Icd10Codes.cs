using System.Collections.Frozen;

namespace HealthMedallion.Refinement.Claims;

/// <summary>The billable ICD-10-CM codes of the January 2021 release (dotted, e.g. E11.9), from the shared reference data.</summary>
public static class Icd10Codes
{
    private static readonly Lazy<FrozenSet<string>> Billable = new(Load);

    public static bool IsBillable(string code) => Billable.Value.Contains(code);

    private static FrozenSet<string> Load()
    {
        const string name = "HealthMedallion.Refinement.ReferenceData.icd10cm_billable_2021.txt";
        using var stream = typeof(Icd10Codes).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing.");
        using var reader = new StreamReader(stream);
        var codes = new List<string>(75_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                codes.Add(line);
            }
        }

        return codes.ToFrozenSet(StringComparer.Ordinal);
    }
}
