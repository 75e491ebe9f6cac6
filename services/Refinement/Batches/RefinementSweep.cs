using HealthMedallion.Refinement.Orphans;
using HealthMedallion.Refinement.Patients;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// The periodic safety net: quarantines expired orphans, refines bronze batches whose event never came (lost, or
/// stuck in the error queue after a fault since fixed), resolves patient records left waiting for a batch that did not
/// resolve them (<see cref="PatientResolution.ResolveStrandedAsync"/>), and re-publishes events committed but not published.
/// </summary>
public sealed class RefinementSweep(
    NpgsqlDataSource dataSource,
    BatchRefiner refiner,
    PendingOrphans orphans,
    PatientResolution patients,
    SilverEvents events,
    IOptions<RefinementOptions> options,
    ILogger<RefinementSweep> logger) : BackgroundService
{
    /// <summary>Refines every bronze batch committed longer than <paramref name="olderThan"/> ago that silver has no record of.</summary>
    public async Task<int> CatchUpAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        var missing = new List<Guid>();
        await using (var command = dataSource.CreateCommand("""
            SELECT b.batch_id FROM bronze.batches b
            WHERE b.committed_at < now() - @age AND NOT EXISTS (SELECT 1 FROM silver.batches s WHERE s.batch_id = b.batch_id)
            ORDER BY b.committed_at, b.sequence
            """))
        {
            command.Parameters.AddWithValue("age", olderThan);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                missing.Add(reader.GetGuid(0));
            }
        }

        foreach (var batchId in missing)
        {
            logger.LogWarning("Bronze batch {BatchId} was never refined; refining it now", batchId);
            await refiner.RefineAsync(batchId, cancellationToken);
        }

        return missing.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await orphans.ExpireAsync(settings.OrphanGracePeriod, stoppingToken);
                await CatchUpAsync(settings.CatchUpAfter, stoppingToken);
                await patients.ResolveStrandedAsync(stoppingToken);
                await events.RepublishPendingAsync(settings.SweepInterval, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "The refinement sweep failed; trying again in {Interval}", settings.SweepInterval);
            }

            try
            {
                await Task.Delay(settings.SweepInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
