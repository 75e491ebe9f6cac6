using System.Diagnostics;
using HealthMedallion.Contracts;
using HealthMedallion.GoldModeling.Facts;
using HealthMedallion.GoldModeling.Marts;
using HealthMedallion.GoldModeling.Patients;
using Npgsql;

namespace HealthMedallion.GoldModeling.Modeling;

/// <summary>What one refresh did: the silver batches it reflects, the tables it changed, how many patients' gold rows changed.</summary>
public sealed record GoldRefresh(IReadOnlyList<Guid> BatchIds, IReadOnlyList<string> TablesRefreshed, long AffectedPatients, DateTimeOffset AsOf, bool AlreadyApplied = false)
{
    /// <summary>Milliseconds per step (dimension, claims, medical events, patient marts), for the logs and the benchmark.</summary>
    public IReadOnlyDictionary<string, long> StepMilliseconds { get; init; } = new Dictionary<string, long>();

    public GoldModelUpdated ToEvent() => new(BatchIds, TablesRefreshed, AffectedPatients, AsOf);
}

/// <summary>
/// Brings gold up to date with silver: one silver batch at a time (incremental) or all of silver (rebuild), each in one
/// transaction, under an advisory lock that serializes every write to gold. Both run the same steps, dimension, claim
/// facts and marts, event facts and marts, patient marts, so the rebuild gives exactly the tables the batches gave.
/// A batch already applied is not applied again (a redelivered event changes nothing).
/// </summary>
public sealed class GoldModel(NpgsqlDataSource dataSource, ILogger<GoldModel> logger)
{
    /// <summary>Key of the advisory lock held by every transaction that writes gold.</summary>
    private const long GoldLock = 0x601D_0001;

    private static readonly string[] AllTables =
    [
        "gold.dim_patients", "gold.fact_claims", "gold.fact_medical_events", "gold.mart_claims_cost", "gold.mart_claims_cost_all_years", "gold.mart_monthly_financials",
        "gold.mart_utilization", "gold.mart_weekly_events", "gold.mart_provider_performance", "gold.mart_patient_360",
        "gold.mart_patient_claims", "gold.mart_risk_stratification", "gold.mart_hipaa_compliance",
    ];

    /// <summary>
    /// Tables a rebuild fills with plain INSERTs (no ON CONFLICT), so that their primary keys can go with the other
    /// indexes and be built once at the end; the marts' keys stay, their upserts need them.
    /// </summary>
    private static readonly string[] BulkFilledTables =
        ["gold.patient_members", "gold.dim_patients", "gold.fact_claims", "gold.fact_medical_events", "gold.provider_patients", "gold.mart_patient_360", "gold.mart_patient_claims"];

    /// <summary>The history of source record versions, which a rebuild keeps (silver cannot give it back).</summary>
    private const string RecordVersionLog = "gold.patient_record_versions";

    /// <summary>
    /// A rebuild fills empty tables: their secondary indexes and the bulk-filled tables' keys (as the migrations define
    /// them, read from the catalog) are dropped first and built once at the end, which is several times cheaper than
    /// keeping them row by row.
    /// </summary>
    private const string DropIndexesSql = """
        CREATE TEMP TABLE gold_rebuild_indexes ON COMMIT DROP AS
        SELECT format('DROP INDEX %I.%I', n.nspname, c.relname) AS drop_statement, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'gold' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
          AND i.indrelid::regclass::text <> 'gold.batches'
        UNION ALL
        SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname),
            format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname, pg_get_constraintdef(k.oid))
        FROM pg_constraint k
        WHERE k.contype IN ('p', 'u') AND k.conrelid::regclass::text = ANY (@bulk_filled);
        DO $$
        DECLARE statement text;
        BEGIN
            FOR statement IN SELECT drop_statement FROM gold_rebuild_indexes LOOP
                EXECUTE statement;
            END LOOP;
        END $$;
        """;

    private const string RecreateIndexesSql = """
        SET LOCAL maintenance_work_mem = '512MB';
        DO $$
        DECLARE definition text;
        BEGIN
            FOR definition IN SELECT g.definition FROM gold_rebuild_indexes g LOOP
                EXECUTE definition;
            END LOOP;
        END $$;
        """;

    public Task<GoldRefresh> ApplyBatchAsync(Guid batchId, string entity, CancellationToken cancellationToken) =>
        RefreshAsync(batchId, entity, cancellationToken);

    /// <summary>Empties the model (not the record-version history, which silver cannot give back) and builds it from all of silver.</summary>
    public Task<GoldRefresh> RebuildAsync(CancellationToken cancellationToken) => RefreshAsync(null, null, cancellationToken);

    private async Task<GoldRefresh> RefreshAsync(Guid? batchId, string? entity, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sql = new GoldSql(connection, transaction, batchId);

        // UTC, so that dates become instants (and surrogate keys text) the same way in every session.
        await sql.ExecuteAsync($"SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL work_mem = '256MB'; SELECT pg_advisory_xact_lock({GoldLock})", cancellationToken);
        if (batchId is { } id && await FindAsync(connection, transaction, id, cancellationToken) is { } applied)
        {
            return applied;
        }

        if (entity is not null && await sql.CountAsync("SELECT count(*) FROM silver.batches WHERE batch_id = @batch AND status = 'refined'", cancellationToken) == 0)
        {
            // Silver commits a batch before announcing it: an unknown one is not refined (or not ours); the sweep takes it if it ever is.
            logger.LogWarning("Silver has no refined batch {BatchId}; nothing applied", batchId);
            return new GoldRefresh([], [], 0, DateTimeOffset.UtcNow, AlreadyApplied: true);
        }

        await sql.ExecuteAsync("CREATE TEMP TABLE gold_affected (patient_id text PRIMARY KEY) ON COMMIT DROP", cancellationToken);
        var firstCapture = false;
        if (sql.IsRebuild)
        {
            await sql.ExecuteAsync($"TRUNCATE gold.patient_members, gold.provider_patients, {string.Join(", ", AllTables)}", cancellationToken);

            // An empty record-version log (a new deployment) is filled like the emptied tables, its key built at the end.
            firstCapture = await sql.CountAsync($"SELECT count(*) FROM (SELECT FROM {RecordVersionLog} LIMIT 1) v", cancellationToken) == 0;
            await sql.ExecuteAsync(DropIndexesSql, cancellationToken, ("bulk_filled", firstCapture ? [.. BulkFilledTables, RecordVersionLog] : BulkFilledTables));
        }

        var tables = new List<string>();
        var steps = new Dictionary<string, long>();
        async Task<long> StepAsync(string name, Func<Task<long>> step)
        {
            var started = clock.ElapsedMilliseconds;
            var result = await step();
            steps[name] = clock.ElapsedMilliseconds - started;
            return result;
        }

        var affected = sql.IsRebuild || entity == Entities.Patients
            ? await StepAsync("dimension", () => PatientDimension.RefreshAsync(sql, firstCapture, cancellationToken))
            : 0;
        if (affected > 0)
        {
            tables.Add("gold.dim_patients");
        }

        var claimsInScope = sql.IsRebuild || entity == Entities.Claims || affected > 0;
        if (await StepAsync("claims", () => ClaimFacts.RefreshAsync(sql, claimsInScope, affected > 0, cancellationToken)) > 0)
        {
            tables.AddRange(["gold.fact_claims", "gold.mart_claims_cost", "gold.mart_claims_cost_all_years", "gold.mart_monthly_financials"]);
        }

        var eventsInScope = sql.IsRebuild || entity == Entities.MedicalEvents || affected > 0;
        if (await StepAsync("medical events", () => MedicalEventFacts.RefreshAsync(sql, eventsInScope, affected > 0, cancellationToken)) > 0)
        {
            tables.AddRange(["gold.fact_medical_events", "gold.mart_utilization", "gold.mart_weekly_events", "gold.mart_provider_performance"]);
        }

        var patients = await StepAsync("patient marts", () => PatientMarts.RefreshAsync(sql, affected > 0, cancellationToken));
        if (patients > 0)
        {
            tables.AddRange(["gold.mart_patient_360", "gold.mart_patient_claims", "gold.mart_risk_stratification"]);
        }

        if (affected > 0)
        {
            tables.Add("gold.mart_hipaa_compliance");
        }

        if (sql.IsRebuild)
        {
            // A rebuild's deltas are views over the rebuilt tables (every row counts once): temporary views outlive the
            // transaction, so they go with it.
            await sql.ExecuteAsync("DROP VIEW gold_claim_delta, gold_event_delta, gold_patient_claims_delta", cancellationToken);
            await sql.ExecuteAsync(RecreateIndexesSql, cancellationToken);

            // The refilled tables have no statistics until autovacuum comes by: meanwhile the planner expects thousands of
            // claims per patient, and the query API's plans look costly enough to be JIT-compiled (150 ms for a 0.3 ms query).
            await sql.ExecuteAsync($"ANALYZE {string.Join(", ", AllTables)}, gold.patient_members, gold.provider_patients, {RecordVersionLog}", cancellationToken);
            tables = [.. AllTables];
        }

        var batches = await RecordAsync(connection, transaction, batchId, entity, tables, patients, clock, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Gold refreshed from {What} in {Elapsed} ms ({Steps}): {Patients} patients changed, tables {Tables}",
            batchId is null ? "all of silver" : $"{entity} batch {batchId}", clock.ElapsedMilliseconds,
            string.Join(", ", steps.Select(s => $"{s.Key} {s.Value} ms")), patients, string.Join(", ", tables));
        return new GoldRefresh(batches, tables, patients, DateTimeOffset.UtcNow) { StepMilliseconds = steps };
    }

    /// <summary>Records the batch (or, for a rebuild, every refined silver batch not yet recorded) as applied.</summary>
    private static async Task<List<Guid>> RecordAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid? batchId, string? entity, List<string> tables, long patients, Stopwatch clock,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO gold.batches (batch_id, entity, affected_patients, tables_refreshed, duration_ms)
            SELECT @batch, @entity, @patients, @tables, @ms WHERE @batch::uuid IS NOT NULL
            UNION ALL
            SELECT b.batch_id, b.entity, @patients, @tables, @ms FROM silver.batches b
            WHERE @batch::uuid IS NULL AND b.status = 'refined'
            ON CONFLICT (batch_id) DO NOTHING
            RETURNING batch_id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("batch", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)batchId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("entity", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)entity ?? DBNull.Value });
        command.Parameters.AddWithValue("patients", patients);
        command.Parameters.AddWithValue("tables", tables.ToArray());
        command.Parameters.AddWithValue("ms", (int)clock.ElapsedMilliseconds);
        var recorded = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(reader.GetGuid(0));
        }

        return recorded;
    }

    private static async Task<GoldRefresh?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT tables_refreshed, affected_patients, applied_at FROM gold.batches WHERE batch_id = @batch", connection, transaction);
        command.Parameters.AddWithValue("batch", batchId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new GoldRefresh([batchId], reader.GetFieldValue<string[]>(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), AlreadyApplied: true)
            : null;
    }
}
