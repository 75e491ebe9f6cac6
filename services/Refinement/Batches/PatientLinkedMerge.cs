using HealthMedallion.Refinement.Expectations;
using HealthMedallion.ServiceDefaults.Postgres;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>A staged claim or event: a versioned row that refers to a patient by the id its source knows.</summary>
public interface IPatientLinkedRow : IVersionedRow
{
    /// <summary>The patient's id in the referenced source (the EHR's for claims, the event's own source's for events).</summary>
    string? PatientId { get; }
}

/// <summary>
/// The merge of an entity whose rows refer to a patient (claims, medical events). A row whose patient record is known
/// gets the resolved patient id and is merged (<see cref="SilverMerge"/>); one whose patient is unknown is held in the
/// entity's pending table, and released into silver by the patient batch that brings the patient (or quarantined once
/// the grace period is over: <see cref="Orphans.PendingOrphans"/>). Either way it lands where it would have landed had
/// the patient come first. The patients of a fresh batch are looked up in one round trip, and its rows are split into
/// versions in memory before they are staged.
/// </summary>
public abstract class PatientLinkedMerge
{
    public const string PatientExistsRule = "patient_exists";

    private readonly SilverMerge _merge;
    private readonly string[] _columns;

    protected PatientLinkedMerge(string entity, string table, string pendingTable, string key, string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Entity = entity;
        Key = key;
        PendingTable = pendingTable;
        _columns = columns;
        _merge = new SilverMerge(entity, table, "stage_" + entity, [key], columns, alias => [$"{alias}._file_name", $"{alias}._row_number"]);
    }

    public string Entity { get; }

    /// <summary>The business key column (claim_id, event_id).</summary>
    public string Key { get; }

    /// <summary>
    /// The temporary staging table of this transaction, shaped like the pending table: after the merge it holds exactly
    /// the rows the merge wrote (inserted or updated), for what follows from them.
    /// </summary>
    public string Stage => _merge.Stage;

    public string PendingTable { get; }

    private string ColumnList => string.Join(", ", _columns);

    public ExpectationDescription PatientExists => new(Entity, PatientExistsRule, ExpectationSeverity.Drop,
        "the patient the row refers to is known (claims refer to EHR patient ids, events to their own source's); until it is, the row waits as a pending orphan, and it is quarantined if the patient has not arrived within the grace period");

    /// <summary>
    /// Writes a refined batch: its quarantined rows; the rows whose patient is unknown into the pending table; the others,
    /// split into versions, into the stage (<paramref name="writeRow"/> writes a row's fields in the order of the merge's
    /// columns, with the resolved patient id it is given), then the merge.
    /// </summary>
    public async Task<List<BatchCounts>> WriteAsync<TRow>(
        NpgsqlConnection connection, RefinedBatch<TRow> refined, Action<NpgsqlBinaryImporter, TRow, string?> writeRow, CancellationToken cancellationToken)
        where TRow : IPatientLinkedRow
    {
        ArgumentNullException.ThrowIfNull(refined);
        ArgumentNullException.ThrowIfNull(writeRow);
        await QuarantineWriter.WriteAsync(connection, refined.Batch, refined.Quarantined, cancellationToken);

        var patients = await ResolvePatientsAsync(connection, refined.Staged, cancellationToken);
        var resolved = new List<TRow>(refined.Staged.Count);
        var held = new List<TRow>();
        foreach (var row in refined.Staged)
        {
            (patients.ContainsKey((row.SourceSystem, row.PatientId!)) ? resolved : held).Add(row);
        }

        await StageImport.WriteAsync(connection, $"COPY {PendingTable} ({ColumnList}) FROM STDIN (FORMAT BINARY)", held,
            (importer, row) => writeRow(importer, row, null), cancellationToken);

        var (winners, superseded) = BatchVersions.Split(resolved);
        await CreateStageAsync(connection, cancellationToken);
        await _merge.StageAsync(connection, winners, superseded,
            (importer, row) => writeRow(importer, row, patients[(row.SourceSystem, row.PatientId!)]), cancellationToken);

        var counts = await MergeStagedAsync(connection, cancellationToken);
        if (held.Count > 0)
        {
            counts.Add(new BatchCounts(refined.Batch.BatchId, 0, 0, held.Count, 0));
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
        var resolvedColumns = string.Join(", ", _columns.Select(c => c == "patient_id" ? "m.patient_id" : "p." + c));
        await using (var command = new NpgsqlCommand($"""
            INSERT INTO {Stage} ({ColumnList})
            SELECT {resolvedColumns} FROM {PendingTable} p
            JOIN silver.patient_identity_map m
              ON m.source_system = silver.referenced_patient_system(p.source_system) AND m.source_patient_id = p.source_patient_id;
            """, connection) { CommandTimeout = 0 })
        {
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return [];
            }
        }

        await using (var command = new NpgsqlCommand(
            $"DELETE FROM {PendingTable} p USING {Stage} s WHERE p._batch_id = s._batch_id AND p._row_number = s._row_number", connection) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // Released rows may hold several versions of a key, from several batches.
        await _merge.SplitStagedAsync(connection, cancellationToken);
        var counts = await MergeStagedAsync(connection, cancellationToken);
        return [.. counts.Select(c => c with { Pending = -(c.Written + c.Superseded) })];
    }

    /// <summary>What follows from the written rows (the stage holds them after the merge): risk for claims, length of stay for events.</summary>
    protected abstract Task AfterMergeAsync(NpgsqlConnection connection, CancellationToken cancellationToken);

    /// <summary>The patient ids the rows refer to that silver knows, from each row's (source system, patient id), in one round trip.</summary>
    private static async Task<Dictionary<(string SourceSystem, string PatientId), string>> ResolvePatientsAsync<TRow>(
        NpgsqlConnection connection, IReadOnlyList<TRow> rows, CancellationToken cancellationToken)
        where TRow : IPatientLinkedRow
    {
        var referenced = rows.Select(r => (r.SourceSystem, PatientId: r.PatientId!)).Distinct().ToList();
        var patients = new Dictionary<(string, string), string>(referenced.Count);
        await using var command = new NpgsqlCommand(KeyProbes.Around("""
            SELECT r.source_system, r.patient_id, m.patient_id
            FROM unnest(@systems, @ids) AS r (source_system, patient_id)
            JOIN silver.patient_identity_map m
              ON m.source_system = silver.referenced_patient_system(r.source_system) AND m.source_patient_id = r.patient_id;
            """), connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("systems", referenced.Select(r => r.SourceSystem).ToArray());
        command.Parameters.AddWithValue("ids", referenced.Select(r => r.PatientId).ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            patients[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
        }

        return patients;
    }

    private async Task CreateStageAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {Stage};
            CREATE TEMP TABLE {Stage} (LIKE {PendingTable} INCLUDING DEFAULTS) ON COMMIT DROP;
            """, connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await _merge.PrepareAsync(connection, cancellationToken);
    }

    /// <summary>Merges the staged winners; records the <c>patient_exists</c> passes (every row merged here had its patient).</summary>
    private async Task<List<BatchCounts>> MergeStagedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = await _merge.RunAsync(connection, cancellationToken);
        await using (var command = new NpgsqlCommand($"""
            INSERT INTO quality.expectation_results AS e (batch_id, entity, expectation, severity, passed, failed)
            SELECT batch_id, '{Entity}', '{PatientExistsRule}', 'drop', passed, 0 FROM unnest(@batches, @passed) AS r (batch_id, passed)
            ON CONFLICT (batch_id, expectation) DO UPDATE SET passed = e.passed + excluded.passed
            """, connection))
        {
            command.Parameters.AddWithValue("batches", counts.Select(c => c.BatchId).ToArray());
            command.Parameters.AddWithValue("passed", counts.Select(c => c.Written + c.Superseded).ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // What follows from the rows around these (a patient's claims, an encounter's admission), after any other writer of
        // the entity committed, so that its rows are seen too.
        await SilverLock.SerializeEntityAsync(connection, Entity, cancellationToken);
        await AfterMergeAsync(connection, cancellationToken);
        return counts;
    }
}
