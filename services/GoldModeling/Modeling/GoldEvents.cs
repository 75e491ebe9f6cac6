using MassTransit;
using Npgsql;

namespace HealthMedallion.GoldModeling.Modeling;

/// <summary>
/// Publishes <see cref="Contracts.GoldModelUpdated"/> after a refresh committed and marks its batches published; what was
/// committed but never marked is published again by <see cref="RepublishPendingAsync"/> (the sweep calls it).
/// </summary>
public sealed class GoldEvents(IBus bus, NpgsqlDataSource dataSource, ILogger<GoldEvents> logger)
{
    public async Task PublishAsync(GoldRefresh refresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refresh);
        try
        {
            await bus.Publish(refresh.ToEvent(), cancellationToken);
            await using var mark = dataSource.CreateCommand("UPDATE gold.batches SET published_at = now() WHERE batch_id = ANY(@batches) AND published_at IS NULL");
            mark.Parameters.AddWithValue("batches", refresh.BatchIds.ToArray());
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Gold is refreshed but GoldModelUpdated could not be published yet; it will be re-published");
        }
    }

    /// <summary>Publishes one event per refresh recorded more than <paramref name="olderThan"/> ago and never marked published.</summary>
    public async Task<int> RepublishPendingAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var pending = new List<GoldRefresh>();
        await using (var select = new NpgsqlCommand("""
            SELECT batch_id, tables_refreshed, affected_patients, applied_at FROM gold.batches
            WHERE published_at IS NULL AND applied_at < now() - @age
            ORDER BY applied_at LIMIT 500
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.AddWithValue("age", olderThan);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add(new GoldRefresh([reader.GetGuid(0)], reader.GetFieldValue<string[]>(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        foreach (var refresh in pending)
        {
            await bus.Publish(refresh.ToEvent(), cancellationToken);
        }

        await using (var mark = new NpgsqlCommand("UPDATE gold.batches SET published_at = now() WHERE batch_id = ANY(@batches)", connection, transaction))
        {
            mark.Parameters.AddWithValue("batches", pending.SelectMany(p => p.BatchIds).ToArray());
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return pending.Count;
    }
}
