using HealthMedallion.Refinement.Expectations;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Batches;

/// <summary>A staged claim or event: a versioned row that refers to a patient by the id its source knows.</summary>
public interface IPatientLinkedRow : IVersionedRow
{
    /// <summary>The patient's id in the referenced source (the EHR's for claims, the event's own source's for events).</summary>
    string? PatientId { get; }
}

/// <summary>
/// The merge of an entity whose rows refer to a patient (claims, medical events). A row whose patient record is known
/// gets the resolved patient id and is merged; one whose patient is unknown is held in the entity's pending table, and
/// released into silver by the patient batch that brings the patient (or quarantined once the grace period is over:
/// <see cref="Orphans.PendingOrphans"/>). Either way it lands where it would have landed had the patient come first.
/// <para>
/// Silver keeps one row per business key, as <see cref="SilverMerge"/> describes; this merge reaches the same result
/// in fewer passes, which matters as claims and events are most of the rows. A fresh batch is resolved and split into
/// versions in memory (<see cref="BatchVersions"/>) and only its winning rows are staged; SQL then compares them with
/// silver through the primary key, inserts the new keys, updates the later versions, and records every superseded row
/// with the row that holds its key.
/// </para>
/// </summary>
public abstract class PatientLinkedMerge
{
    public const string PatientExistsRule = "patient_exists";

    private readonly string _table;
    private readonly string[] _columns;
    private readonly string _mergeSql;

    protected PatientLinkedMerge(string entity, string table, string pendingTable, string key, string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Entity = entity;
        Key = key;
        Stage = "stage_" + entity;
        PendingTable = pendingTable;
        _table = table;
        _columns = columns;
        Existing = entity + "_existing";
        SupersededInBatch = entity + "_superseded_in_batch";
        _mergeSql = MergeSql();
    }

    public string Entity { get; }

    /// <summary>The business key column (claim_id, event_id).</summary>
    public string Key { get; }

    /// <summary>
    /// The temporary staging table of this transaction, shaped like the pending table: before the merge, one winning
    /// row per key; after it, exactly the rows the merge wrote (inserted or updated), for what follows from them.
    /// </summary>
    public string Stage { get; }

    public string PendingTable { get; }

    /// <summary>The temporary table of the staged rows whose key silver already had, each with its outcome.</summary>
    private string Existing { get; }

    /// <summary>The temporary table of the rows that lost to another staged row of their key, each with its reason.</summary>
    private string SupersededInBatch { get; }

    private string ColumnList => string.Join(", ", _columns);

    public ExpectationDescription PatientExists => new(Entity, PatientExistsRule, ExpectationSeverity.Drop,
        "the patient the row refers to is known (claims refer to EHR patient ids, events to their own source's); until it is, the row waits as a pending orphan, and it is quarantined if the patient has not arrived within the grace period");

    /// <summary>
    /// Writes a refined batch: its quarantined rows; the rows whose patient is unknown into the pending table; of the
    /// others the winning version of each key into the stage (<paramref name="writeRow"/> writes a row's fields in the order
    /// of the merge's columns, with the resolved patient id it is given), then the merge.
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
        await StageImport.WriteAsync(connection, $"COPY {Stage} ({ColumnList}) FROM STDIN (FORMAT BINARY)", winners,
            (importer, row) => writeRow(importer, row, patients[(row.SourceSystem, row.PatientId!)]), cancellationToken);
        await StageImport.WriteAsync(connection, $"COPY {SupersededInBatch} ({Key}, _batch_id, _file_name, _row_number, reason) FROM STDIN (FORMAT BINARY)",
            superseded, (importer, loser) =>
            {
                importer.Write(loser.Row.BusinessKey!, NpgsqlDbType.Text);
                importer.Write(refined.Batch.BatchId, NpgsqlDbType.Uuid);
                importer.Write(refined.Batch.FileName, NpgsqlDbType.Text);
                importer.Write(loser.Row.RowNumber, NpgsqlDbType.Bigint);
                importer.Write(loser.Reason, NpgsqlDbType.Text);
            }, cancellationToken);

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

        // Released rows may hold several versions of a key, from several batches: here the versions are split in SQL.
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

        await using (var command = new NpgsqlCommand($"""
            DELETE FROM {PendingTable} p USING {Stage} s WHERE p._batch_id = s._batch_id AND p._row_number = s._row_number;

            INSERT INTO {SupersededInBatch} ({Key}, _batch_id, _file_name, _row_number, reason)
            SELECT {Key}, _batch_id, _file_name, _row_number, CASE WHEN copy_rank > 1 THEN 'exact_duplicate' ELSE 'older_version' END
            FROM (
                SELECT c.*, row_number() OVER (PARTITION BY {Key}, copy_rank = 1 ORDER BY _file_name DESC, _row_number DESC) AS version_rank
                FROM (
                    SELECT {Key}, _batch_id, _file_name, _row_number,
                        row_number() OVER (PARTITION BY {Key}, content_hash ORDER BY _file_name, _row_number) AS copy_rank
                    FROM {Stage}
                ) c
            ) v
            WHERE copy_rank > 1 OR version_rank > 1;

            DELETE FROM {Stage} s USING {SupersededInBatch} l WHERE s._batch_id = l._batch_id AND s._row_number = l._row_number;
            """, connection) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

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
        await using var command = new NpgsqlCommand("""
            SELECT r.source_system, r.patient_id, m.patient_id
            FROM unnest(@systems, @ids) AS r (source_system, patient_id)
            JOIN silver.patient_identity_map m
              ON m.source_system = silver.referenced_patient_system(r.source_system) AND m.source_patient_id = r.patient_id
            """, connection) { CommandTimeout = 0 };
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
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {Stage}, {SupersededInBatch};
            CREATE TEMP TABLE {Stage} (LIKE {PendingTable} INCLUDING DEFAULTS) ON COMMIT DROP;
            CREATE TEMP TABLE {SupersededInBatch} ({Key} text NOT NULL, _batch_id uuid NOT NULL, _file_name text NOT NULL,
                                                   _row_number bigint NOT NULL, reason text NOT NULL) ON COMMIT DROP;
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Merges the staged winners into silver; records every superseded row and the <c>patient_exists</c> passes (every
    /// row merged here had its patient). Returns per bronze batch what was written and superseded.
    /// </summary>
    private async Task<List<BatchCounts>> MergeStagedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var counts = new List<BatchCounts>();
        await using (var command = new NpgsqlCommand(_mergeSql, connection) { CommandTimeout = 0 })
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts.Add(new BatchCounts(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), 0, reader.GetInt64(3)));
            }
        }

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

        await AfterMergeAsync(connection, cancellationToken);
        return counts;
    }

    private string MergeSql()
    {
        var updates = string.Join(", ", _columns.Where(c => c != Key).Select(c => $"{c} = s.{c}"));
        const string Lineage = "_batch_id, _file_name, _row_number";

        // Temporary tables get no statistics unless asked: without them the planner guesses their size.
        return $"""
            ANALYZE {Stage};
            DROP TABLE IF EXISTS {Existing};
            CREATE TEMP TABLE {Existing} ON COMMIT DROP AS
            SELECT s.{Key}, s._batch_id, s._file_name, s._row_number,
                CASE
                    WHEN t.content_hash = s.content_hash THEN 'exact_duplicate'
                    WHEN (s._file_name, s._row_number) > (t._file_name, t._row_number) THEN 'update'
                    ELSE 'older_version'
                END AS outcome,
                t._batch_id AS current_batch_id, t._file_name AS current_file_name, t._row_number AS current_row_number
            FROM {Stage} s JOIN {_table} t ON t.{Key} = s.{Key};

            INSERT INTO silver.superseded (entity, business_key, {Lineage}, reason, superseded_by_batch_id, superseded_by_file_name, superseded_by_row)
            SELECT '{Entity}', {Key}, {Lineage}, outcome, current_batch_id, current_file_name, current_row_number
            FROM {Existing} WHERE outcome <> 'update'
            UNION ALL
            SELECT '{Entity}', {Key}, current_batch_id, current_file_name, current_row_number, 'replaced', {Lineage}
            FROM {Existing} WHERE outcome = 'update';

            DELETE FROM {Stage} s USING {Existing} e WHERE e.{Key} = s.{Key} AND e.outcome <> 'update';

            UPDATE {_table} t SET {updates}, processed_at = now()
            FROM {Stage} s JOIN {Existing} e ON e.{Key} = s.{Key}
            WHERE t.{Key} = s.{Key};

            INSERT INTO {_table} ({ColumnList})
            SELECT {ColumnList} FROM {Stage} s WHERE NOT EXISTS (SELECT FROM {Existing} e WHERE e.{Key} = s.{Key});

            INSERT INTO silver.superseded (entity, business_key, {Lineage}, reason, superseded_by_batch_id, superseded_by_file_name, superseded_by_row)
            SELECT '{Entity}', l.{Key}, l._batch_id, l._file_name, l._row_number, l.reason, t._batch_id, t._file_name, t._row_number
            FROM {SupersededInBatch} l JOIN {_table} t ON t.{Key} = l.{Key};

            SELECT _batch_id, sum(written)::bigint, sum(superseded)::bigint, sum(warned)::bigint
            FROM (
                SELECT _batch_id, count(*) AS written, 0 AS superseded, count(*) FILTER (WHERE cardinality(failed_warnings) > 0) AS warned
                FROM {Stage} GROUP BY _batch_id
                UNION ALL
                SELECT _batch_id, 0, count(*), 0 FROM {Existing} WHERE outcome <> 'update' GROUP BY _batch_id
                UNION ALL
                SELECT _batch_id, 0, count(*), 0 FROM {SupersededInBatch} GROUP BY _batch_id
            ) c
            GROUP BY _batch_id;
            """;
    }
}
