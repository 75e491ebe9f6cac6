using System.Collections.Concurrent;
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
/// Brings gold up to date with silver: one silver batch at a time (incremental) or all of silver (rebuild), under an
/// advisory lock that serializes every write to gold. Both run the same steps, dimension, claim facts and marts, event
/// facts and marts, patient marts, so the rebuild gives exactly the tables the batches gave. A batch is applied in one
/// transaction; a batch already applied is not applied again (a redelivered event changes nothing). A rebuild commits
/// step by step, the independent steps side by side on their own connections (see <see cref="RebuildAsync"/>).
/// </summary>
public sealed class GoldModel(NpgsqlDataSource dataSource, ILogger<GoldModel> logger)
{
    /// <summary>Key of the advisory lock held by every transaction that writes gold.</summary>
    private const long GoldLock = 0x601D_0001;

    /// <summary>The history of source record versions, which a rebuild adds to but keeps (silver cannot give it back).</summary>
    private const string RecordVersionLog = "gold.patient_record_versions";

    /// <summary>
    /// Every table a refresh writes, by the rebuild step that fills it. A batch runs the same work in four steps:
    /// dimension (with the capture of record versions), claims, medical events (facts and marts), patient marts.
    /// </summary>
    private static readonly RebuildStep RecordVersions = new("record versions", []) { Kept = [RecordVersionLog] };
    private static readonly RebuildStep Dimension = new("dimension", ["gold.dim_patients"]);
    private static readonly RebuildStep Members = new("patient members", ["gold.patient_members"]);
    private static readonly RebuildStep Claims = new("claims",
        ["gold.fact_claims", "gold.mart_claims_cost", "gold.mart_claims_cost_all_years", "gold.mart_monthly_financials"]);
    private static readonly RebuildStep EventFacts = new("medical event facts", ["gold.fact_medical_events"]);
    private static readonly RebuildStep Utilization = new("utilization", ["gold.mart_utilization"]);
    private static readonly RebuildStep ProviderMarts = new("provider and weekly marts",
        ["gold.provider_patients", "gold.mart_weekly_events", "gold.mart_provider_performance"]);
    private static readonly RebuildStep PatientMartsStep = new("patient marts",
        ["gold.mart_patient_360", "gold.mart_patient_claims", "gold.mart_risk_stratification", "gold.mart_hipaa_compliance"]);

    /// <summary>The model's tables (not the members and the provider bridge, gold's own bookkeeping), as refreshes report them.</summary>
    private static readonly string[] AllTables =
    [
        .. new[] { Dimension, Claims, EventFacts, Utilization, ProviderMarts, PatientMartsStep }.SelectMany(s => s.Tables)
            .Where(t => t != "gold.provider_patients"),
    ];

    /// <summary>
    /// Tables a rebuild fills with plain INSERTs (no ON CONFLICT), so that their primary keys can go with the other
    /// indexes and be built once at the end; the marts' keys stay, their upserts need them.
    /// </summary>
    private static readonly string[] BulkFilledTables =
        ["gold.patient_members", "gold.dim_patients", "gold.fact_claims", "gold.fact_medical_events", "gold.provider_patients", "gold.mart_patient_360", "gold.mart_patient_claims"];

    /// <summary>
    /// A rebuild step fills empty tables: their secondary indexes and the bulk-filled tables' keys (as the migrations
    /// define them, read from the catalog) are dropped first and built once at the end, which is several times cheaper
    /// than keeping them row by row.
    /// </summary>
    private const string DropIndexesSql = """
        CREATE TEMP TABLE gold_rebuild_indexes ON COMMIT DROP AS
        SELECT format('DROP INDEX %I.%I', n.nspname, c.relname) AS drop_statement, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.indrelid::regclass::text = ANY (@tables) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
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

    /// <summary>
    /// Every refresh's session settings. UTC, so that dates become instants (and surrogate keys text) the same way in every
    /// session. No JIT: a batch's statements each take well under a second, yet their cost estimates (a key probe per row of
    /// a large table) pass JIT's thresholds (compiling the patient claims' move alone took 0.3 s of its 1.1 s at a million
    /// patients, for a plan that then ran no faster), and the rebuild's long aggregates ran no faster compiled either
    /// (patient 360's rows at a million patients: 9.3 s compiled against 8.2 s).
    /// </summary>
    private const string SessionSettingsSql = "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL work_mem = '256MB'; SET LOCAL jit = off";

    /// <summary>
    /// A rebuild step's sorts and aggregates run over every patient or fact: with a batch's 256 MB the survivorship sort of
    /// 2.1 million record versions went to disk (its statement took 4.3 s against 3.8-3.9 s in memory), and the patient
    /// claims' aggregate spilled in five batches.
    /// </summary>
    private const string RebuildSettingsSql = $"{SessionSettingsSql}; SET LOCAL work_mem = '1GB'";

    /// <summary>
    /// Empties the model (not the record-version history, which silver cannot give back) and builds it from all of
    /// silver. Each step commits on its own connection, and starts as soon as the steps whose tables it reads have
    /// committed, so that both cores of a small machine work: the record versions are captured while the dimension is
    /// built (on a first capture from silver's records, which the log will hold, see
    /// <see cref="PatientDimension.RebuildAsync"/>); beside them, one piece at a time, the members' copy, the event marts
    /// that need no patient version and the patient marts' summaries; then the claims (facts and marts), the event facts
    /// and the patient marts' rows (patient 360, patient claims) start, and utilization follows the event facts. The marts
    /// that do not follow their facts read silver's claims and events instead, which are the current patients' facts one
    /// for one. A small machine's cores are so never short of work until the last steps (at a million patients, the marts
    /// that waited for the facts left one core idle for seconds, and the event marts ran alone at the end).
    /// Gold's lock, held by this session throughout, keeps batches out until the end. Readers see each step's tables
    /// change when it commits; a step that fails leaves the steps before it committed, and a rebuild run again starts
    /// over. The silver batches recorded as applied are those refined when the rebuild began: a batch refined during it
    /// is applied afterwards, which changes only what the rebuild did not already take from it.
    /// </summary>
    public async Task<GoldRefresh> RebuildAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var session = new GoldSql(connection, null, null);
        await session.ExecuteAsync($"SELECT pg_advisory_lock({GoldLock})", cancellationToken);
        try
        {
            var refined = await session.ReadColumnAsync<Guid>("SELECT batch_id FROM silver.batches WHERE status = 'refined'", cancellationToken);

            // An empty record-version log (a new deployment) is filled like the emptied tables, its key built at the end.
            var firstCapture = await session.CountAsync($"SELECT count(*) FROM (SELECT FROM {RecordVersionLog} LIMIT 1) v", cancellationToken) == 0;
            var steps = new ConcurrentDictionary<string, long>();
            var captured = RebuildStepAsync(RecordVersions with { RebuildsKeptKeys = firstCapture }, steps,
                sql => PatientDimension.CaptureAsync(sql, firstCapture, cancellationToken), cancellationToken);

            // The work no step waits for early on (the provider marts, the members' copy, the patient marts' summaries)
            // runs one piece at a time, so that the dimension, which every later step waits for, keeps a core to itself.
            using var sideWork = new SemaphoreSlim(1);
            Func<GoldSql, Task> OnTheSide(Func<GoldSql, Task> work) => async sql =>
            {
                await sideWork.WaitAsync(cancellationToken);
                try
                {
                    await work(sql);
                }
                finally
                {
                    sideWork.Release();
                }
            };

            var providerMarts = RebuildStepAsync(ProviderMarts, steps, OnTheSide(sql => MedicalEventFacts.RebuildProviderMartsAsync(sql, cancellationToken)), cancellationToken);

            // Each step fills its tables once the steps whose tables it reads have committed.
            var dimension = Task.WhenAll(
                RebuildStepAsync(Dimension, steps, sql => PatientDimension.RebuildAsync(sql, firstCapture, captured, cancellationToken), cancellationToken),
                RebuildStepAsync(Members, steps, OnTheSide(sql => PatientDimension.CopyMembersAsync(sql, cancellationToken)), cancellationToken, after: captured));
            var eventFacts = RebuildStepAsync(EventFacts, steps, sql => MedicalEventFacts.RebuildFactsAsync(sql, cancellationToken), cancellationToken, after: dimension);
            var patients = 0L;
            await Task.WhenAll(
                providerMarts,
                RebuildStepAsync(Claims, steps, sql => ClaimFacts.RebuildAsync(sql, cancellationToken), cancellationToken, after: dimension),
                RebuildStepAsync(Utilization, steps, sql => MedicalEventFacts.RebuildUtilizationAsync(sql, cancellationToken), cancellationToken, after: eventFacts),
                RebuildStepAsync(PatientMartsStep, steps, async sql => patients = await PatientMarts.RebuildAsync(sql, cancellationToken), cancellationToken,
                    after: dimension, prepare: OnTheSide(sql => PatientMarts.SummarizeAsync(sql, cancellationToken))));
            var batches = await RecordAsync(session, [.. refined], AllTables, patients, clock, cancellationToken);

            logger.LogInformation("Gold rebuilt from all of silver in {Elapsed} ms ({Steps}): {Patients} patients, {Batches} batches recorded",
                clock.ElapsedMilliseconds, string.Join(", ", steps.Select(s => $"{s.Key} {s.Value} ms")), patients, batches.Count);
            return new GoldRefresh(batches, AllTables, patients, DateTimeOffset.UtcNow) { StepMilliseconds = steps };
        }
        finally
        {
            // A session that broke has released the lock with it.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await session.ExecuteAsync($"SELECT pg_advisory_unlock({GoldLock})", CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// One rebuild step in its own transaction: what it can do before the steps it follows have committed
    /// (<paramref name="prepare"/>, into temporary tables), then, once <paramref name="after"/> has, its tables emptied
    /// (readers wait for them only from then on), their indexes dropped, filled by <paramref name="fill"/>, indexed again
    /// and analyzed (until autovacuum comes by, the planner would otherwise expect thousands of claims per patient, and the
    /// query API's plans would look costly enough to be JIT-compiled: 150 ms for a 0.3 ms query).
    /// </summary>
    private async Task RebuildStepAsync(RebuildStep step, ConcurrentDictionary<string, long> steps, Func<GoldSql, Task> fill, CancellationToken cancellationToken,
        Task? after = null, Func<GoldSql, Task>? prepare = null)
    {
        var clock = Stopwatch.StartNew();
        string[] written = [.. step.Tables, .. step.Kept];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            var sql = new GoldSql(connection, transaction, null);
            string[] indexed = [.. step.Tables, .. step.RebuildsKeptKeys ? step.Kept : []];
            await sql.ExecuteAsync(RebuildSettingsSql, cancellationToken);
            if (prepare is not null)
            {
                await prepare(sql);
            }

            if (after is not null)
            {
                await after;
            }

            if (step.Tables.Length > 0)
            {
                await sql.ExecuteAsync($"TRUNCATE {string.Join(", ", step.Tables)}", cancellationToken);
            }

            await sql.ExecuteAsync(DropIndexesSql, cancellationToken,
                ("tables", indexed), ("bulk_filled", indexed.Where(t => BulkFilledTables.Contains(t) || step.Kept.Contains(t)).ToArray()));
            await fill(sql);
            await sql.ExecuteAsync(RecreateIndexesSql, cancellationToken);
            if (written.Length > 0)
            {
                await sql.ExecuteAsync($"ANALYZE {string.Join(", ", written)}", cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // A rebuild's deltas are temporary views over the rebuilt tables (every row counts once), which outlive the
        // transaction: they go before the connection returns to the pool.
        await new GoldSql(connection, null, null).ExecuteAsync("DISCARD TEMP", cancellationToken);
        steps[step.Name] = clock.ElapsedMilliseconds;
    }

    /// <summary>Applies one refined silver batch in one transaction: the steps its entity reaches, each only for what the batch touched.</summary>
    public async Task<GoldRefresh> ApplyBatchAsync(Guid batchId, string entity, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sql = new GoldSql(connection, transaction, batchId);
        await sql.ExecuteAsync($"{SessionSettingsSql}; SELECT pg_advisory_xact_lock({GoldLock})", cancellationToken);
        if (await FindAsync(connection, transaction, batchId, cancellationToken) is { } applied)
        {
            return applied;
        }

        if (await sql.CountAsync("SELECT count(*) FROM silver.batches WHERE batch_id = @batch AND status = 'refined'", cancellationToken) == 0)
        {
            // Silver commits a batch before announcing it: an unknown one is not refined (or not ours); the sweep takes it if it ever is.
            logger.LogWarning("Silver has no refined batch {BatchId}; nothing applied", batchId);
            return new GoldRefresh([], [], 0, DateTimeOffset.UtcNow, AlreadyApplied: true);
        }

        await sql.ExecuteAsync("CREATE TEMP TABLE gold_affected (patient_id text PRIMARY KEY) ON COMMIT DROP", cancellationToken);
        var tables = new List<string>();
        var steps = new Dictionary<string, long>();
        async Task<long> StepAsync(string name, Func<Task<long>> apply)
        {
            var started = clock.ElapsedMilliseconds;
            var changed = await apply();
            steps[name] = clock.ElapsedMilliseconds - started;
            return changed;
        }

        var affected = entity == Entities.Patients
            ? await StepAsync(Dimension.Name, () => PatientDimension.RefreshAsync(sql, cancellationToken))
            : 0;
        if (affected > 0)
        {
            tables.AddRange([.. Dimension.Tables, "gold.mart_hipaa_compliance"]);
        }

        if (await StepAsync(Claims.Name, () => ClaimFacts.RefreshAsync(sql, entity == Entities.Claims || affected > 0, affected > 0, cancellationToken)) > 0)
        {
            tables.AddRange(Claims.Tables);
        }

        if (await StepAsync("medical events", () => MedicalEventFacts.RefreshAsync(sql, entity == Entities.MedicalEvents || affected > 0, affected > 0, cancellationToken)) > 0)
        {
            tables.AddRange([.. EventFacts.Tables, .. Utilization.Tables, .. ProviderMarts.Tables.Where(AllTables.Contains)]);
        }

        var patients = await StepAsync("patient marts", () => PatientMarts.RefreshAsync(sql, affected > 0, cancellationToken));
        if (patients > 0)
        {
            tables.AddRange(PatientMartsStep.Tables.Where(t => t != "gold.mart_hipaa_compliance"));
        }

        var batches = await RecordAsync(sql, [batchId], tables, patients, clock, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Gold refreshed from {Entity} batch {BatchId} in {Elapsed} ms ({Steps}): {Patients} patients changed, tables {Tables}",
            entity, batchId, clock.ElapsedMilliseconds, string.Join(", ", steps.Select(s => $"{s.Key} {s.Value} ms")), patients, string.Join(", ", tables));
        return new GoldRefresh(batches, tables, patients, DateTimeOffset.UtcNow) { StepMilliseconds = steps };
    }

    /// <summary>Records the silver batches (refined ones only) as applied; returns those not recorded before.</summary>
    private static async Task<List<Guid>> RecordAsync(GoldSql sql, Guid[] batchIds, IReadOnlyList<string> tables, long patients, Stopwatch clock, CancellationToken cancellationToken)
    {
        return await sql.ReadColumnAsync<Guid>("""
            INSERT INTO gold.batches (batch_id, entity, affected_patients, tables_refreshed, duration_ms)
            SELECT b.batch_id, b.entity, @patients, @tables, @ms FROM silver.batches b
            WHERE b.batch_id = ANY (@batches) AND b.status = 'refined'
            ON CONFLICT (batch_id) DO NOTHING
            RETURNING batch_id
            """, cancellationToken, ("batches", batchIds), ("patients", patients), ("tables", tables.ToArray()), ("ms", (int)clock.ElapsedMilliseconds));
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

/// <summary>
/// A step of a refresh and the tables it writes: <paramref name="Tables"/>, which a rebuild empties and fills, and
/// <see cref="Kept"/>, which it adds to without emptying them (the record-version log), whose keys a rebuild drops and
/// builds again only when it fills them from empty (<see cref="RebuildsKeptKeys"/>).
/// </summary>
internal sealed record RebuildStep(string Name, string[] Tables)
{
    public string[] Kept { get; init; } = [];

    public bool RebuildsKeptKeys { get; init; }
}
