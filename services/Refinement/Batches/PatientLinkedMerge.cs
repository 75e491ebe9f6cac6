using HealthMedallion.Refinement.Expectations;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// The merge of an entity whose rows refer to a patient (claims, medical events). A staged row whose patient record is
/// known gets the resolved patient id and is merged; one whose patient is unknown is held in the entity's pending
/// table, and released into silver by the patient batch that brings the patient (or quarantined once the grace
/// period is over: <see cref="Orphans.PendingOrphans"/>). Either way it lands where it would have landed had the
/// patient come first.
/// </summary>
public abstract class PatientLinkedMerge
{
    public const string PatientExistsRule = "patient_exists";

    private readonly SilverMerge _merge;
    private readonly string _columnList;

    protected PatientLinkedMerge(string entity, string table, string pendingTable, string key, string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Entity = entity;
        Key = key;
        Stage = "stage_" + entity;
        PendingTable = pendingTable;
        _columnList = string.Join(", ", columns);
        _merge = new SilverMerge(entity, table, Stage, [key], columns,
            alias => [$"{alias}._file_name", $"{alias}._row_number"]);
    }

    public string Entity { get; }

    /// <summary>The business key column (claim_id, event_id).</summary>
    public string Key { get; }

    /// <summary>The temporary staging table of this transaction, shaped like the pending table.</summary>
    public string Stage { get; }

    public string PendingTable { get; }

    protected string Outcome => _merge.Outcome;

    public ExpectationDescription PatientExists => new(Entity, PatientExistsRule, ExpectationSeverity.Drop,
        "the patient the row refers to is known (claims refer to EHR patient ids, events to their own source's); until it is, the row waits as a pending orphan, and it is quarantined if the patient has not arrived within the grace period");

    private async Task CreateStageAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {Stage};
            CREATE TEMP TABLE {Stage} (LIKE {PendingTable} INCLUDING DEFAULTS) ON COMMIT DROP;
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Writes a refined batch: its quarantined rows, its kept rows staged by binary COPY (<paramref name="writeRow"/> writes
    /// a row's fields in the order of the merge's columns), then <see cref="MergeStagedAsync"/>.
    /// </summary>
    public async Task<List<BatchCounts>> WriteAsync<TRow>(
        NpgsqlConnection connection, RefinedBatch<TRow> refined, Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(refined);
        await QuarantineWriter.WriteAsync(connection, refined.Batch, refined.Quarantined, cancellationToken);
        await CreateStageAsync(connection, cancellationToken);
        await StageImport.WriteAsync(connection, $"COPY {Stage} ({_columnList}) FROM STDIN (FORMAT BINARY)", refined.Staged, writeRow, cancellationToken);
        return await MergeStagedAsync(connection, cancellationToken);
    }

    /// <summary>Resolves, holds and merges what is staged; returns per bronze batch what was written, superseded and held.</summary>
    public async Task<List<BatchCounts>> MergeStagedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var held = new Dictionary<Guid, long>();
        await using (var command = new NpgsqlCommand($"""
            ANALYZE {Stage};
            UPDATE {Stage} s SET patient_id = m.patient_id
            FROM silver.patient_identity_map m
            WHERE m.source_system = silver.referenced_patient_system(s.source_system) AND m.source_patient_id = s.source_patient_id;

            INSERT INTO quality.expectation_results AS e (batch_id, entity, expectation, severity, passed, failed)
            SELECT _batch_id, '{Entity}', '{PatientExistsRule}', 'drop', count(*) FILTER (WHERE patient_id IS NOT NULL), 0
            FROM {Stage} GROUP BY _batch_id
            ON CONFLICT (batch_id, expectation) DO UPDATE SET passed = e.passed + excluded.passed;

            WITH held AS (DELETE FROM {Stage} WHERE patient_id IS NULL RETURNING *),
            kept AS (INSERT INTO {PendingTable} ({_columnList}) SELECT {_columnList} FROM held RETURNING _batch_id)
            SELECT _batch_id, count(*) FROM kept GROUP BY _batch_id;
            """, connection) { CommandTimeout = 0 })
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held[reader.GetGuid(0)] = reader.GetInt64(1);
            }
        }

        var counts = await _merge.RunAsync(connection, cancellationToken);
        await AfterMergeAsync(connection, cancellationToken);
        foreach (var (batchId, rows) in held)
        {
            counts.Add(new BatchCounts(batchId, 0, 0, rows, 0));
        }

        return counts;
    }

    /// <summary>
    /// Merges every pending row whose patient is now known (after a patient batch resolved its records). Returns the
    /// changes to the origin batches' counts: pending rows become written or superseded.
    /// </summary>
    public async Task<List<BatchCounts>> ReleaseAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await CreateStageAsync(connection, cancellationToken);
        await using (var command = new NpgsqlCommand($"""
            INSERT INTO {Stage} SELECT p.* FROM {PendingTable} p
            JOIN silver.patient_identity_map m
              ON m.source_system = silver.referenced_patient_system(p.source_system) AND m.source_patient_id = p.source_patient_id;

            DELETE FROM {PendingTable} p USING {Stage} s WHERE p._batch_id = s._batch_id AND p._row_number = s._row_number;
            """, connection) { CommandTimeout = 0 })
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return [];
            }
        }

        var counts = await MergeStagedAsync(connection, cancellationToken);
        return [.. counts.Select(c => c with { Pending = -(c.Written + c.Superseded) })];
    }

    /// <summary>What follows from merged rows (the outcome table holds them): risk for claims, length of stay for events.</summary>
    protected abstract Task AfterMergeAsync(NpgsqlConnection connection, CancellationToken cancellationToken);
}
