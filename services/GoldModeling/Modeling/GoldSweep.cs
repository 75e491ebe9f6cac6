using Microsoft.Extensions.Options;
using Npgsql;

namespace HealthMedallion.GoldModeling.Modeling;

/// <summary>
/// At start-up and then every <see cref="GoldModelingOptions.SweepInterval"/>: applies the refined silver batches gold
/// has not applied although their event should have come long ago (older than <see cref="GoldModelingOptions.CatchUpAfter"/>),
/// and re-publishes the refreshes whose event was never published.
/// </summary>
public sealed class GoldSweep(GoldModel model, GoldEvents events, NpgsqlDataSource dataSource, IOptions<GoldModelingOptions> options, ILogger<GoldSweep> logger)
    : BackgroundService
{
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var missed = new List<(Guid BatchId, string Entity)>();
        await using (var exists = dataSource.CreateCommand("SELECT to_regclass('silver.batches') IS NOT NULL"))
        {
            // Before refinement has created silver there is nothing to catch up with.
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                return 0;
            }
        }

        await using (var command = dataSource.CreateCommand("""
            SELECT s.batch_id, s.entity FROM silver.batches s
            WHERE s.status = 'refined' AND s.refined_at < now() - @age
              AND NOT EXISTS (SELECT 1 FROM gold.batches g WHERE g.batch_id = s.batch_id)
            ORDER BY s.refined_at
            """))
        {
            command.Parameters.AddWithValue("age", options.Value.CatchUpAfter);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                missed.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }

        foreach (var (batchId, entity) in missed)
        {
            await events.PublishAsync(await model.ApplyBatchAsync(batchId, entity, cancellationToken), cancellationToken);
        }

        if (missed.Count > 0)
        {
            logger.LogInformation("Applied {Batches} refined silver batches whose event never reached gold", missed.Count);
        }

        await events.RepublishPendingAsync(options.Value.CatchUpAfter, cancellationToken);
        return missed.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "The gold sweep failed; it runs again in {Interval}", options.Value.SweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
