using Npgsql;

namespace HealthMedallion.Refinement.Identity;

/// <summary>
/// Patient batches that left the identity resolution of their records to the patient batch queued behind them
/// (<c>silver.identity_backlog</c>). Resolving a large file means clustering the population around it again; when many
/// files arrive together (an initial load, a catch-up after an outage), resolving each in its own transaction does that
/// once per file against an ever larger population, while resolving their records together in the last file's
/// transaction does it once. A record waits at most <see cref="IdentityResolutionOptions.MaxDeferral"/>: past it the next
/// patient batch resolves whatever waits, queued batches or not, and the refinement sweep does when no patient batch
/// comes (the batch behind was rejected, or keeps failing).
/// </summary>
public static class IdentityBacklog
{
    /// <summary>A row when batch <c>@batch</c> leaves its records to a later one (see <see cref="WouldDeferAsync"/>).</summary>
    private const string Deferred = """
        SELECT 1
        FROM bronze.batches this
        WHERE this.batch_id = @batch
          AND EXISTS (
              SELECT 1 FROM bronze.batches later
              WHERE later.entity = this.entity AND (later.committed_at, later.sequence) > (this.committed_at, this.sequence)
                AND NOT EXISTS (SELECT 1 FROM silver.batches s WHERE s.batch_id = later.batch_id))
          AND NOT EXISTS (SELECT 1 FROM silver.identity_backlog WHERE queued_at <= now() - @max_deferral)
        """;

    /// <summary>
    /// Whether the batch would leave its records to a later one: a patient batch committed to bronze after it is still to
    /// be refined, and no batch in the backlog has waited longer than <paramref name="maxDeferral"/>.
    /// </summary>
    public static async Task<bool> WouldDeferAsync(NpgsqlConnection connection, Guid batchId, TimeSpan maxDeferral, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, $"SELECT EXISTS ({Deferred})", batchId, maxDeferral, cancellationToken);

    /// <summary>As <see cref="WouldDeferAsync"/>, and when so the batch is queued in the backlog, in the caller's transaction.</summary>
    public static async Task<bool> DeferAsync(NpgsqlConnection connection, Guid batchId, TimeSpan maxDeferral, CancellationToken cancellationToken) =>
        await ScalarAsync(connection, $"""
            WITH deferred AS ({Deferred}),
            queued AS (INSERT INTO silver.identity_backlog (batch_id) SELECT @batch FROM deferred)
            SELECT EXISTS (SELECT 1 FROM deferred)
            """, batchId, maxDeferral, cancellationToken);

    /// <summary>
    /// Whether the sweep should resolve the backlog: something waits, and either no patient batch is left to refine (the
    /// one behind was rejected) or something has waited longer than <paramref name="maxDeferral"/>.
    /// </summary>
    public static async Task<bool> IsStrandedAsync(NpgsqlConnection connection, TimeSpan maxDeferral, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM silver.identity_backlog)
               AND (NOT EXISTS (SELECT 1 FROM bronze.batches b
                                WHERE b.entity = 'patients' AND NOT EXISTS (SELECT 1 FROM silver.batches s WHERE s.batch_id = b.batch_id))
                    OR EXISTS (SELECT 1 FROM silver.identity_backlog WHERE queued_at <= now() - @max_deferral))
            """, connection);
        command.Parameters.AddWithValue("max_deferral", maxDeferral);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Adds the records the backlog's batches last wrote to <c>touched_patient_records</c> (those not there already) and
    /// empties the backlog. A record a later batch wrote again is that batch's: in its touched records, or in the backlog.
    /// </summary>
    public static async Task TakeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var batches = new List<Guid>();
        await using (var command = new NpgsqlCommand("DELETE FROM silver.identity_backlog RETURNING batch_id", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                batches.Add(reader.GetGuid(0));
            }
        }

        if (batches.Count == 0)
        {
            return;
        }

        await using var insert = new NpgsqlCommand("""
            INSERT INTO touched_patient_records (source_system, source_patient_id)
            SELECT r.source_system, r.source_patient_id
            FROM silver.patient_records r
            WHERE r._batch_id = ANY(@batches)
              AND NOT EXISTS (SELECT 1 FROM touched_patient_records t
                              WHERE t.source_system = r.source_system AND t.source_patient_id = r.source_patient_id);
            ANALYZE touched_patient_records;
            """, connection) { CommandTimeout = 0 };
        insert.Parameters.AddWithValue("batches", batches.ToArray());
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<bool> ScalarAsync(NpgsqlConnection connection, string sql, Guid batchId, TimeSpan maxDeferral, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("batch", batchId);
        command.Parameters.AddWithValue("max_deferral", maxDeferral);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
