namespace HealthMedallion.Contracts;

/// <summary>A CSV file has been fully written to the landing zone and may be ingested.</summary>
public sealed record LandingFileCreated(
    Guid FileId,
    string Path,
    string Entity,
    string SourceSystem,
    long SizeBytes,
    string Sha256);
