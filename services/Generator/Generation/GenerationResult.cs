namespace HealthMedallion.Generator.Generation;

/// <summary>One complete landing file: absolute path, what it holds, its size and lowercase hex SHA-256.</summary>
public sealed record GeneratedFile(string Path, string Entity, string SourceSystem, long Rows, long SizeBytes, string Sha256);

/// <summary>What a run wrote: the landing files (in completion order), the ground truth beside them, and counts.</summary>
public sealed record GenerationResult(
    IReadOnlyList<GeneratedFile> Files,
    string ManifestPath,
    string LabelsPath,
    string IdentitiesPath,
    IReadOnlyDictionary<string, long> DefectCounts,
    long Rows,
    long Bytes,
    TimeSpan Elapsed);
