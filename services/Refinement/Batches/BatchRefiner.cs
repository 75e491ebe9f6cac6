using System.Diagnostics;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// Refines one bronze batch into silver: read it in bulk, transform and validate it in parallel, then write it in one
/// transaction (quarantine, staging, merge, identity, counts, expectation results) and publish the outcome. A batch
/// is refined once: a redelivered event finds it recorded; a crash before the commit leaves nothing, and the
/// redelivered event (or the catch-up sweep) refines it again from the start.
/// </summary>
public sealed class BatchRefiner(
    NpgsqlDataSource dataSource,
    IEnumerable<IEntityRefiner> refiners,
    SilverEvents events,
    ILogger<BatchRefiner> logger)
{
    private readonly Dictionary<string, IEntityRefiner> _refiners = refiners.ToDictionary(r => r.Entity, StringComparer.Ordinal);

    /// <summary>How often a batch that met a concurrent write of one of its keys is written before its error stands.</summary>
    private const int MaxAttempts = 5;

    public IReadOnlyCollection<IEntityRefiner> Refiners => _refiners.Values;

    /// <summary>The refined (or failed) batch; null when bronze has no such batch.</summary>
    public async Task<SilverBatch?> RefineAsync(Guid batchId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await BatchLedger.FindAsync(connection, batchId, cancellationToken) is { } done)
        {
            return done;
        }

        var batch = await BronzeBatchReader.FindAsync(connection, batchId, cancellationToken);
        if (batch is null)
        {
            logger.LogWarning("Bronze has no batch {BatchId}; nothing to refine", batchId);
            return null;
        }

        if (!_refiners.TryGetValue(batch.Entity, out var refiner))
        {
            throw new InvalidOperationException($"Bronze batch {batchId} is of entity '{batch.Entity}', which refinement does not know.");
        }

        var rows = await BronzeBatchReader.ReadRowsAsync(connection, batch, refiner.BronzeColumns, cancellationToken);
        var read = Stopwatch.GetElapsedTime(started);
        if (rows.Count != batch.Rows)
        {
            throw new InvalidOperationException($"Bronze batch {batchId} records {batch.Rows} rows but bronze.{batch.Entity} holds {rows.Count} of it.");
        }

        var refined = refiner.Transform(batch, rows);
        var transformed = Stopwatch.GetElapsedTime(started);
        SilverBatch recorded;
        TimeSpan locked;
        for (var attempt = 1; ; attempt++)
        {
            var alone = await refiner.WritesAloneAsync(connection, batch, cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await SilverLock.AcquireAsync(connection, alone, cancellationToken);
            locked = Stopwatch.GetElapsedTime(started);
            if (await BatchLedger.FindAsync(connection, batchId, cancellationToken) is { } raced)
            {
                return raced;
            }

            try
            {
                IReadOnlyList<BatchCounts> counts = refined.FailedExpectations.Count == 0
                    ? await refiner.WriteAsync(connection, refined, alone, cancellationToken)
                    : [];
                var duration = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                recorded = await BatchLedger.RecordAsync(connection, refined, counts, duration, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                break;
            }
            catch (Exception exception) when (!alone && attempt < MaxAttempts && IsConcurrentWrite(exception))
            {
                // Another batch wrote one of this batch's keys first, or this one must write alone after all: written again.
                await transaction.RollbackAsync(cancellationToken);
                logger.LogInformation("Batch {BatchId} of {File} met a concurrent write ({Error}); writing it again (attempt {Attempt})",
                    batchId, batch.FileName, exception is PostgresException e ? e.MessageText : exception.Message, attempt + 1);
            }
        }

        if (recorded.Status == SilverBatch.Failed)
        {
            logger.LogWarning("Batch {BatchId} of {File} rejected whole: expectation {Expectations} failed", batchId, batch.FileName,
                string.Join(", ", recorded.FailedExpectations));
        }
        else
        {
            logger.LogInformation(
                "Refined batch {BatchId} of {File}: {Rows} rows, {Written} written, {Quarantined} quarantined, {Superseded} superseded, {Pending} pending, in {Duration} ms (read {Read} ms, transform {Transform} ms, wait {Wait} ms, write {Write} ms)",
                batchId, batch.FileName, recorded.BronzeRows, recorded.RowsWritten, recorded.RowsQuarantined, recorded.RowsSuperseded, recorded.RowsPending,
                recorded.DurationMs, (int)read.TotalMilliseconds, (int)(transformed - read).TotalMilliseconds, (int)(locked - transformed).TotalMilliseconds,
                recorded.DurationMs - (int)locked.TotalMilliseconds);
        }

        await events.PublishAsync(recorded, cancellationToken);
        return recorded;
    }

    /// <summary>
    /// What a batch holding <see cref="SilverLock"/> shared may meet: a key another transaction inserted first (unique
    /// violation), two batches waiting for each other's row locks (deadlock), or a reason to write alone after all.
    /// </summary>
    private static bool IsConcurrentWrite(Exception exception) =>
        exception is WriteAloneException or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected };
}

/// <summary>
/// Every write to silver holds this transaction-scoped advisory lock, in one of two ways:
/// <list type="bullet">
/// <item>alone: patient batches that resolve identities, which change the identity map and release pending claims and
/// events, and the orphan sweep, which empties the pending tables; nothing else writes meanwhile;</item>
/// <item>shared: claims and events batches, which only read what patient batches write and write tables of their own,
/// and patient batches that leave identity resolution to a later one (<see cref="Identity.IdentityBacklog"/>), which
/// write only their records; any two of them merge at the same time, each in its own server process, on its own core.
/// Two batches of one entity rarely share a key (a resent row comes in the same file); when they do, the merge's row
/// locks and the primary key make the second wait for the first, or fail and be written again
/// (<see cref="BatchRefiner"/>). What they derive from the rows around theirs (a patient's risk from all their claims,
/// a stay from its admission) each computes holding its entity's own lock (<see cref="SerializeEntityAsync"/>), after
/// the other committed: so it sees the other's rows.</item>
/// </list>
/// Identity resolution thus never races itself, and every batch merges against everything committed before it.
/// </summary>
public static class SilverLock
{
    private const long Key = 0x5349_4C56_4552; // "SILVER"

    /// <summary>Takes the lock alone for the caller's transaction.</summary>
    public static Task AcquireAsync(NpgsqlConnection connection, CancellationToken cancellationToken) => AcquireAsync(connection, alone: true, cancellationToken);

    /// <summary>
    /// Takes the lock for the caller's transaction, alone or shared with the other shared writers. Also sets the
    /// transaction up for the merge: no JIT (compiling the merge statements costs more, up to a second each, than running
    /// them) and a small statistics sample for the ANALYZE of the temporary tables (their row counts and key spread are
    /// what the planner needs, not fine histograms).
    /// </summary>
    public static async Task AcquireAsync(NpgsqlConnection connection, bool alone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var take = alone ? "pg_advisory_xact_lock(@key)" : "pg_advisory_xact_lock_shared(@key)";
        await using var command = new NpgsqlCommand($"SELECT {take}; SET LOCAL jit = off; SET LOCAL default_statistics_target = 10", connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("key", Key);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Takes the entity's own lock for the rest of the caller's transaction (which holds the shared lock): its writers take turns from here on.</summary>
    public static async Task SerializeEntityAsync(NpgsqlConnection connection, string entity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@entity, @key))", connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("key", Key);
        command.Parameters.AddWithValue("entity", entity);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
