namespace HealthMedallion.Contracts;

/// <summary>A batch of rows from one landed file is committed to bronze.</summary>
public sealed record BronzeBatchIngested(
    Guid BatchId,
    string Entity,
    Guid FileId,
    long Rows,
    long RescuedRows);
