using HealthMedallion.Refinement.Expectations;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Records what became of each bronze batch (<c>silver.batches</c>) and its expectation results (<c>quality.expectation_results</c>).</summary>
public static class BatchLedger
{
    public static async Task<SilverBatch?> FindAsync(NpgsqlConnection connection, Guid batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand($"SELECT {SilverBatch.SelectColumns} FROM silver.batches WHERE batch_id = @batch", connection);
        command.Parameters.AddWithValue("batch", batchId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? SilverBatch.Read(reader) : null;
    }

    /// <summary>Adds to the counts of earlier batches (pending rows released into silver by a later transaction).</summary>
    private const string EarlierBatchesSql = """
        UPDATE silver.batches b
        SET rows_written = b.rows_written + d.written, rows_superseded = b.rows_superseded + d.superseded,
            rows_pending = b.rows_pending + d.pending, rows_warned = b.rows_warned + d.warned
        FROM unnest(@other_batches, @other_written, @other_superseded, @other_pending, @other_warned)
            AS d (batch_id, written, superseded, pending, warned)
        WHERE b.batch_id = d.batch_id;
        """;

    /// <summary>Records what a transaction that refined no batch of its own did to earlier batches (the sweep's resolution of stranded identities).</summary>
    public static async Task RecordReleasedAsync(NpgsqlConnection connection, IEnumerable<BatchCounts> counts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(EarlierBatchesSql, connection);
        AddEarlierBatches(command.Parameters, counts);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records the refined batch, its expectation results, and the changes to earlier batches whose pending rows it
    /// released, in the caller's transaction. The table's CHECK refuses any record whose rows do not add up.
    /// </summary>
    public static async Task<SilverBatch> RecordAsync(
        NpgsqlConnection connection, RefinedBatch refined, IReadOnlyList<BatchCounts> counts, int durationMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(refined);
        ArgumentNullException.ThrowIfNull(counts);

        var batch = refined.Batch;
        var own = counts.Where(c => c.BatchId == batch.BatchId).ToList();
        var failed = refined.FailedExpectations.Count > 0;
        await using var command = new NpgsqlCommand($"""
            INSERT INTO quality.expectation_results (batch_id, entity, expectation, severity, passed, failed)
            SELECT @batch, @entity, * FROM unnest(@names, @severities, @passed, @failed);

            {EarlierBatchesSql}

            INSERT INTO silver.batches (batch_id, entity, file_id, file_name, status, bronze_rows, rows_written, rows_quarantined,
                rows_superseded, rows_pending, rows_rejected, rows_warned, failed_expectations, duration_ms)
            VALUES (@batch, @entity, @file, @file_name, @status, @bronze_rows, @written, @quarantined, @superseded, @pending, @rejected,
                @warned, @failed_expectations, @duration)
            RETURNING {SilverBatch.SelectColumns};
            """, connection);
        var p = command.Parameters;
        p.AddWithValue("batch", batch.BatchId);
        p.AddWithValue("entity", batch.Entity);
        p.AddWithValue("file", batch.FileId);
        p.AddWithValue("file_name", batch.FileName);
        p.AddWithValue("status", failed ? SilverBatch.Failed : SilverBatch.Refined);
        p.AddWithValue("bronze_rows", batch.Rows);
        p.AddWithValue("written", own.Sum(c => c.Written));
        p.AddWithValue("quarantined", failed ? 0L : refined.Quarantined.Count);
        p.AddWithValue("superseded", own.Sum(c => c.Superseded));
        p.AddWithValue("pending", own.Sum(c => c.Pending));
        p.AddWithValue("rejected", failed ? batch.Rows : 0L);
        p.AddWithValue("warned", own.Sum(c => c.Warned));
        p.AddWithValue("failed_expectations", refined.FailedExpectations.ToArray());
        p.AddWithValue("duration", durationMs);
        p.AddWithValue("names", refined.Results.Select(r => r.Name).ToArray());
        p.AddWithValue("severities", refined.Results.Select(r => r.Severity.Name()).ToArray());
        p.AddWithValue("passed", refined.Results.Select(r => r.Passed).ToArray());
        p.AddWithValue("failed", refined.Results.Select(r => r.Failed).ToArray());
        AddEarlierBatches(p, counts.Where(c => c.BatchId != batch.BatchId));

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return SilverBatch.Read(reader);
    }

    private static void AddEarlierBatches(NpgsqlParameterCollection parameters, IEnumerable<BatchCounts> counts)
    {
        var others = counts.GroupBy(c => c.BatchId)
            .Select(g => new BatchCounts(g.Key, g.Sum(c => c.Written), g.Sum(c => c.Superseded), g.Sum(c => c.Pending), g.Sum(c => c.Warned)))
            .ToList();
        parameters.AddWithValue("other_batches", others.Select(c => c.BatchId).ToArray());
        parameters.AddWithValue("other_written", others.Select(c => c.Written).ToArray());
        parameters.AddWithValue("other_superseded", others.Select(c => c.Superseded).ToArray());
        parameters.AddWithValue("other_pending", others.Select(c => c.Pending).ToArray());
        parameters.AddWithValue("other_warned", others.Select(c => c.Warned).ToArray());
    }
}
