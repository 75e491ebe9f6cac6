using HealthMedallion.Generator.Generation;

namespace HealthMedallion.Generator.Runs;

/// <summary>The body of <c>POST /api/generator/runs</c>: every field optional, defaults are the default data set.</summary>
public sealed record RunRequest(
    int? Patients = null,
    int? Seed = null,
    DateTimeOffset? AsOf = null,
    int? PartRows = null,
    double? AdtShare = null,
    double? LabShare = null,
    double? VariationRate = null,
    double? LookalikeRate = null,
    DefectRates? Defects = null,
    IReadOnlyList<string>? Sources = null,
    bool Increment = false,
    int? UpdatedPatients = null)
{
    /// <summary>The options this request asks for (as-of and the increment's offset are settled when the run is created).</summary>
    public GenerationOptions ToOptions(DateTimeOffset asOf)
    {
        var defaults = new GenerationOptions();
        return defaults with
        {
            Patients = Patients ?? defaults.Patients,
            Seed = Seed ?? defaults.Seed,
            AsOf = asOf,
            PartRows = PartRows ?? defaults.PartRows,
            AdtShare = AdtShare ?? defaults.AdtShare,
            LabShare = LabShare ?? defaults.LabShare,
            VariationRate = VariationRate ?? defaults.VariationRate,
            LookalikeRate = LookalikeRate ?? defaults.LookalikeRate,
            Defects = Defects ?? defaults.Defects,
            Sources = Sources ?? defaults.Sources,
            UpdatedPatients = UpdatedPatients ?? 0,
        };
    }
}

/// <summary>A run as the API shows it.</summary>
public sealed record RunView(
    Guid RunId,
    string Kind,
    string Status,
    int Patients,
    int Seed,
    DateTimeOffset AsOf,
    DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    long? Rows,
    long? Bytes,
    IReadOnlyDictionary<string, long>? DefectCounts,
    string? ManifestPath,
    string? Error,
    IReadOnlyList<FileView>? Files,
    GenerationOptions? Options);

public sealed record FileView(Guid FileId, string Path, string Entity, string SourceSystem, long Rows, long SizeBytes, string Sha256, DateTimeOffset CreatedAt, DateTimeOffset? PublishedAt);
