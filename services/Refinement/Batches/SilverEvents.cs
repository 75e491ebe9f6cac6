using HealthMedallion.Contracts;
using MassTransit;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// Publishes what refinement committed, after the commit: <see cref="SilverBatchRefined"/> for a refined batch, a
/// critical <see cref="QualityAlertRaised"/> for a batch a <c>fail</c> expectation rejected; each is marked published
/// once the broker took it, and what was committed but not marked is published again by <see cref="RepublishPendingAsync"/>.
/// </summary>
public sealed class SilverEvents(IBus bus, NpgsqlDataSource dataSource, ILogger<SilverEvents> logger)
{
    public async Task PublishAsync(SilverBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            await PublishOneAsync(batch, cancellationToken);
            await using var mark = dataSource.CreateCommand("UPDATE silver.batches SET published_at = now() WHERE batch_id = @batch");
            mark.Parameters.AddWithValue("batch", batch.BatchId);
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Batch {BatchId} is refined but its event could not be published yet; it will be re-published", batch.BatchId);
        }
    }

    /// <summary>Publishes every batch recorded more than <paramref name="olderThan"/> ago and still unmarked (locked while published, so one instance does each).</summary>
    public async Task<int> RepublishPendingAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var published = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var batches = new List<SilverBatch>();
            await using (var select = new NpgsqlCommand($"""
                SELECT {SilverBatch.SelectColumns} FROM silver.batches
                WHERE published_at IS NULL AND refined_at < now() - @age
                ORDER BY refined_at LIMIT 500
                FOR UPDATE SKIP LOCKED
                """, connection, transaction))
            {
                select.Parameters.AddWithValue("age", olderThan);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    batches.Add(SilverBatch.Read(reader));
                }
            }

            if (batches.Count == 0)
            {
                return published;
            }

            foreach (var batch in batches)
            {
                await PublishOneAsync(batch, cancellationToken);
            }

            await using (var mark = new NpgsqlCommand("UPDATE silver.batches SET published_at = now() WHERE batch_id = ANY(@batches)", connection, transaction))
            {
                mark.Parameters.AddWithValue("batches", batches.Select(b => b.BatchId).ToArray());
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            published += batches.Count;
            logger.LogInformation("Re-published the events of {Batches} refined batches that were committed but not published", batches.Count);
        }
    }

    private Task PublishOneAsync(SilverBatch batch, CancellationToken cancellationToken) => batch.Status == SilverBatch.Failed
        ? bus.Publish(new QualityAlertRaised(batch.BatchId, AlertSeverity.Critical, string.Join(",", batch.FailedExpectations), "silver", batch.Entity,
            $"Batch {batch.BatchId} of {batch.FileName} ({batch.BronzeRows} rows) was rejected whole: expectation {string.Join(", ", batch.FailedExpectations)} failed"),
            cancellationToken)
        : bus.Publish(new SilverBatchRefined(batch.BatchId, batch.Entity, batch.BronzeRows, batch.RowsWritten, batch.RowsQuarantined), cancellationToken);
}
