namespace HealthMedallion.Generator.Generation;

/// <summary>The source systems the generator imitates, as they name themselves in the <c>source_system</c> column.</summary>
public static class SourceSystems
{
    public const string Ehr = "EHR_SYSTEM";
    public const string Adt = "ADT_SYSTEM";
    public const string Lab = "LAB_SYSTEM";
    public const string Claims = "CLAIMS_SYSTEM";

    public static IReadOnlyList<string> All { get; } = [Ehr, Adt, Lab, Claims];
}
