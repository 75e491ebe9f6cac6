namespace HealthMedallion.Contracts;

/// <summary>A bronze batch has been refined into silver; rows in = rows out + quarantined + superseded duplicates.</summary>
public sealed record SilverBatchRefined(
    Guid BatchId,
    string Entity,
    long RowsIn,
    long RowsOut,
    long RowsQuarantined);
