using HealthMedallion.Refinement.Batches;
using Npgsql;

namespace HealthMedallion.Refinement.Orphans;

/// <summary>Claims and events still waiting for their patient after the grace period become quarantined orphans.</summary>
public sealed class PendingOrphans(NpgsqlDataSource dataSource, ClaimsAndEvents waiting, ILogger<PendingOrphans> logger)
{
    /// <summary>Quarantines every pending row held longer than <paramref name="gracePeriod"/>; returns how many.</summary>
    public async Task<long> ExpireAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SilverLock.AcquireAsync(connection, cancellationToken);
        long expired = 0;
        foreach (var merge in waiting.All)
        {
            await using var command = new NpgsqlCommand($"""
                WITH expired AS (
                    DELETE FROM {merge.PendingTable} WHERE held_since <= now() - @grace
                    RETURNING _batch_id, _file_name, _row_number, source_system, {merge.Key} AS business_key
                ), quarantined AS (
                    INSERT INTO silver.quarantine (entity, _batch_id, _file_name, _row_number, source_system, business_key, failed_rules)
                    SELECT '{merge.Entity}', _batch_id, _file_name, _row_number, source_system, business_key, ARRAY['{PatientLinkedMerge.PatientExistsRule}']
                    FROM expired
                    RETURNING _batch_id
                ), per_batch AS (
                    SELECT _batch_id, count(*) AS rows FROM quarantined GROUP BY _batch_id
                ), results AS (
                    INSERT INTO quality.expectation_results AS e (batch_id, entity, expectation, severity, passed, failed)
                    SELECT _batch_id, '{merge.Entity}', '{PatientLinkedMerge.PatientExistsRule}', 'drop', 0, rows FROM per_batch
                    ON CONFLICT (batch_id, expectation) DO UPDATE SET failed = e.failed + excluded.failed
                )
                UPDATE silver.batches b
                SET rows_pending = b.rows_pending - p.rows, rows_quarantined = b.rows_quarantined + p.rows
                FROM per_batch p WHERE b.batch_id = p._batch_id
                RETURNING p.rows
                """, connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("grace", gracePeriod);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                expired += reader.GetInt64(0);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        if (expired > 0)
        {
            logger.LogWarning("Quarantined {Rows} claims and events whose patient did not arrive within {GracePeriod}", expired, gracePeriod);
        }

        return expired;
    }
}
