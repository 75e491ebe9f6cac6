namespace HealthMedallion.Contracts;

/// <summary>Gold dimensions, facts and marts reflect the given silver batches as of a point in time.</summary>
public sealed record GoldModelUpdated(
    IReadOnlyList<Guid> BatchIds,
    IReadOnlyList<string> TablesRefreshed,
    long AffectedPatients,
    DateTimeOffset AsOf);
