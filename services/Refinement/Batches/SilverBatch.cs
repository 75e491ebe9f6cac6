namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// A bronze batch as silver accounted for it (a row of <c>silver.batches</c>): bronze rows = written + quarantined +
/// superseded + pending + rejected. Pending rows move to written, superseded or quarantined later, in place.
/// </summary>
public sealed record SilverBatch(
    Guid BatchId,
    string Entity,
    Guid FileId,
    string FileName,
    string Status,
    long BronzeRows,
    long RowsWritten,
    long RowsQuarantined,
    long RowsSuperseded,
    long RowsPending,
    long RowsRejected,
    long RowsWarned,
    IReadOnlyList<string> FailedExpectations,
    DateTimeOffset RefinedAt,
    int DurationMs,
    DateTimeOffset? PublishedAt)
{
    public const string Refined = "refined";
    public const string Failed = "failed";

    public const string SelectColumns = """
        batch_id, entity, file_id, file_name, status, bronze_rows, rows_written, rows_quarantined, rows_superseded, rows_pending,
        rows_rejected, rows_warned, failed_expectations, refined_at, duration_ms, published_at
        """;

    public static SilverBatch Read(Npgsql.NpgsqlDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new SilverBatch(
            reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5),
            reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetInt64(11),
            reader.GetFieldValue<string[]>(12), reader.GetFieldValue<DateTimeOffset>(13), reader.GetInt32(14),
            reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15));
    }
}
