using HealthMedallion.Contracts;
using MassTransit;
using Npgsql;

namespace HealthMedallion.Ingestion.Events;

/// <summary>
/// Publishes what ingestion committed, after the commit: <see cref="BronzeBatchIngested"/> per batch and
/// <see cref="QualityAlertRaised"/> per rejected file, each marked published in Postgres once the broker took it.
/// What was committed but never marked (a crash, the broker down) is published again by <see cref="RepublishPendingAsync"/>.
/// </summary>
public sealed class BronzeEvents(IBus bus, NpgsqlDataSource dataSource, ILogger<BronzeEvents> logger)
{
    public const string UnreadableFileRule = "bronze_file_readable";

    /// <summary>Publishes a committed batch; a failure is logged and left to the re-publisher (the batch is safe in Postgres).</summary>
    public async Task PublishBatchAsync(BronzeBatchIngested batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        try
        {
            await bus.Publish(batch, cancellationToken);
            await MarkAsync("UPDATE bronze.batches SET published_at = now() WHERE batch_id = @id", batch.BatchId, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Batch {BatchId} is committed but its event could not be published yet; it will be re-published", batch.BatchId);
        }
    }

    public async Task PublishRejectionAsync(QualityAlertRaised alert, Guid fileId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        try
        {
            await bus.Publish(alert, cancellationToken);
            await MarkAsync("UPDATE bronze.files SET alert_published_at = now() WHERE file_id = @id", fileId, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "File {FileId} is rejected but its alert could not be published yet; it will be re-published", fileId);
        }
    }

    public static QualityAlertRaised RejectionAlert(Guid alertId, string entity, string path, string reason) =>
        new(alertId, AlertSeverity.Critical, UnreadableFileRule, "bronze", entity, $"{path} was rejected: {reason}");

    /// <summary>
    /// Publishes every batch and rejection committed more than <paramref name="olderThan"/> ago and still unmarked.
    /// Rows are locked while they are published (SKIP LOCKED), so two instances do not both publish one.
    /// </summary>
    public async Task<int> RepublishPendingAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var published = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var batches = new List<BronzeBatchIngested>();
            await using (var select = new NpgsqlCommand("""
                SELECT batch_id, entity, file_id, rows, rescued_rows FROM bronze.batches
                WHERE published_at IS NULL AND committed_at < now() - @age
                ORDER BY committed_at LIMIT 500
                FOR UPDATE SKIP LOCKED
                """, connection, transaction))
            {
                select.Parameters.AddWithValue("age", olderThan);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    batches.Add(new BronzeBatchIngested(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetInt64(4)));
                }
            }

            var alerts = new List<(Guid FileId, QualityAlertRaised Alert)>();
            await using (var select = new NpgsqlCommand("""
                SELECT file_id, alert_id, entity, path, error FROM bronze.files
                WHERE status = 'rejected' AND alert_id IS NOT NULL AND alert_published_at IS NULL AND updated_at < now() - @age
                ORDER BY updated_at LIMIT 500
                FOR UPDATE SKIP LOCKED
                """, connection, transaction))
            {
                select.Parameters.AddWithValue("age", olderThan);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    alerts.Add((reader.GetGuid(0), RejectionAlert(reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? "" : reader.GetString(4))));
                }
            }

            if (batches.Count == 0 && alerts.Count == 0)
            {
                return published;
            }

            foreach (var batch in batches)
            {
                await bus.Publish(batch, cancellationToken);
            }

            foreach (var (_, alert) in alerts)
            {
                await bus.Publish(alert, cancellationToken);
            }

            await using (var mark = new NpgsqlCommand("""
                UPDATE bronze.batches SET published_at = now() WHERE batch_id = ANY(@batches);
                UPDATE bronze.files SET alert_published_at = now() WHERE file_id = ANY(@files);
                """, connection, transaction))
            {
                mark.Parameters.AddWithValue("batches", batches.Select(b => b.BatchId).ToArray());
                mark.Parameters.AddWithValue("files", alerts.Select(a => a.FileId).ToArray());
                await mark.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            published += batches.Count + alerts.Count;
            logger.LogInformation("Re-published {Batches} batch events and {Alerts} rejection alerts that were committed but not published", batches.Count, alerts.Count);
        }
    }

    private async Task MarkAsync(string sql, Guid id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
