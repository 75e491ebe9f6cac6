using HealthMedallion.ServiceDefaults.Postgres;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// The upsert every entity shares, from a staging table into its silver table, one row per business key:
/// <list type="bullet">
/// <item>an exact copy of a row already staged or already in silver is superseded as <c>exact_duplicate</c>;</item>
/// <item>of the remaining rows of a key the latest version wins (the entity's version order: a source timestamp
/// where there is one, then file name and row number, as landing file names sort by time), and the others
/// are superseded as <c>older_version</c>;</item>
/// <item>a winner later than the silver row replaces it (which is recorded as <c>replaced</c>), an earlier one
/// is superseded: so files arriving in any order give the same silver table.</item>
/// </list>
/// It goes in two steps. First the staged rows are split into versions: a fresh batch in memory
/// (<see cref="BatchVersions"/>, then <see cref="StageAsync{TRow}"/>), rows already in the stage by
/// <see cref="SplitStagedAsync"/>; either way the stage keeps one winner per key and the temporary table
/// <see cref="Superseded"/> the others. Then <see cref="RunAsync"/> compares the winners with silver through the primary
/// key, inserts the new keys, updates the later versions, and records every superseded row with the row that now holds
/// its key; the stage is left with exactly the rows written, for the steps that follow. Two merges of one entity may run
/// at once (<see cref="SilverLock"/>): the silver rows a merge compares with are locked as it reads them, so the other
/// waits for its commit and then compares with what it wrote; a key both insert fails the second with a unique violation,
/// and its batch is written again.
/// </summary>
public sealed class SilverMerge
{
    private const string Lineage = "_batch_id, _file_name, _row_number";

    private readonly string _columnList;
    private readonly string _splitSql;
    private readonly string _mergeSql;

    /// <param name="entity">The entity, as in <c>silver.superseded.entity</c>.</param>
    /// <param name="table">The silver table, e.g. <c>silver.claims</c>.</param>
    /// <param name="stage">The staging table, with at least the silver table's columns.</param>
    /// <param name="keys">The business key columns.</param>
    /// <param name="columns">The silver columns taken from the stage (keys included; <c>processed_at</c> is set here).</param>
    /// <param name="versionOrder">The expressions that order versions, over a table alias, e.g. <c>a => [$"{a}._file_name", $"{a}._row_number"]</c>.</param>
    public SilverMerge(string entity, string table, string stage, string[] keys, string[] columns, Func<string, string[]> versionOrder)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(versionOrder);

        Entity = entity;
        Stage = stage;
        Superseded = entity + "_superseded_in_batch";
        _columnList = string.Join(", ", columns);

        var existing = entity + "_existing";
        string Keys(string alias) => string.Join(", ", keys.Select(k => $"{alias}.{k}"));
        string Join(string left, string right) => string.Join(" AND ", keys.Select(k => $"{left}.{k} = {right}.{k}"));
        string Version(string alias) => string.Join(", ", versionOrder(alias));
        string BusinessKey(string alias) => keys.Length == 1 ? $"{alias}.{keys[0]}" : $"concat_ws(':', {Keys(alias)})";
        var updates = string.Join(", ", columns.Except(keys).Select(c => $"{c} = s.{c}"));
        var superseded = $"INSERT INTO silver.superseded (entity, business_key, {Lineage}, reason, superseded_by_batch_id, superseded_by_file_name, superseded_by_row)";

        // Copies rank within (key, content) by landing order; only first copies compete for the latest version.
        _splitSql = $"""
            INSERT INTO {Superseded}
            SELECT s.*, CASE WHEN v.copy_rank > 1 THEN 'exact_duplicate' ELSE 'older_version' END
            FROM (
                SELECT c.*, row_number() OVER (PARTITION BY {Keys("c")}, c.copy_rank = 1 ORDER BY {string.Join(", ", versionOrder("c").Select(e => e + " DESC"))}) AS version_rank
                FROM (
                    SELECT s.*, row_number() OVER (PARTITION BY {Keys("s")}, s.content_hash ORDER BY s._file_name, s._row_number) AS copy_rank
                    FROM {stage} s
                ) c
            ) v
            JOIN {stage} s ON s._batch_id = v._batch_id AND s._row_number = v._row_number
            WHERE v.copy_rank > 1 OR v.version_rank > 1;

            DELETE FROM {stage} s USING {Superseded} l WHERE s._batch_id = l._batch_id AND s._row_number = l._row_number;
            """;

        // Temporary tables get no statistics unless asked: without them the planner guesses their size. The stage meets
        // silver through silver's primary key, the business key (KeyProbes): as a hash join it read all of silver, 0.51 s
        // against 0.29 s for 250,000 staged events and 874,000 in silver, and more with every batch silver took.
        _mergeSql = $"""
            ANALYZE {stage};
            DROP TABLE IF EXISTS {existing};
            {KeyProbes.Around($"""
                CREATE TEMP TABLE {existing} ON COMMIT DROP AS
                SELECT {Keys("s")}, s._batch_id, s._file_name, s._row_number,
                    CASE
                        WHEN t.content_hash = s.content_hash THEN 'exact_duplicate'
                        WHEN ({Version("s")}) > ({Version("t")}) THEN 'update'
                        ELSE 'older_version'
                    END AS outcome,
                    t._batch_id AS current_batch_id, t._file_name AS current_file_name, t._row_number AS current_row_number
                FROM {stage} s JOIN {table} t ON {Join("t", "s")}
                FOR UPDATE OF t;
                """)}

            {superseded}
            SELECT '{entity}', {BusinessKey("e")}, {Lineage}, outcome, current_batch_id, current_file_name, current_row_number
            FROM {existing} e WHERE outcome <> 'update'
            UNION ALL
            SELECT '{entity}', {BusinessKey("e")}, current_batch_id, current_file_name, current_row_number, 'replaced', {Lineage}
            FROM {existing} e WHERE outcome = 'update';

            DELETE FROM {stage} s USING {existing} e WHERE {Join("e", "s")} AND e.outcome <> 'update';

            UPDATE {table} t SET {updates}, processed_at = now()
            FROM {stage} s JOIN {existing} e ON {Join("e", "s")}
            WHERE {Join("t", "s")};

            INSERT INTO {table} ({_columnList})
            SELECT {_columnList} FROM {stage} s WHERE NOT EXISTS (SELECT FROM {existing} e WHERE {Join("e", "s")});

            {superseded}
            SELECT '{entity}', {BusinessKey("l")}, l._batch_id, l._file_name, l._row_number, l.reason, t._batch_id, t._file_name, t._row_number
            FROM {Superseded} l JOIN {table} t ON {Join("t", "l")};

            SELECT _batch_id, sum(written)::bigint, sum(superseded)::bigint, sum(warned)::bigint
            FROM (
                SELECT _batch_id, count(*) AS written, 0 AS superseded, count(*) FILTER (WHERE cardinality(failed_warnings) > 0) AS warned
                FROM {stage} GROUP BY _batch_id
                UNION ALL
                SELECT _batch_id, 0, count(*), 0 FROM {existing} WHERE outcome <> 'update' GROUP BY _batch_id
                UNION ALL
                SELECT _batch_id, 0, count(*), 0 FROM {Superseded} GROUP BY _batch_id
            ) c
            GROUP BY _batch_id;
            """;
    }

    public string Entity { get; }

    /// <summary>The staging table: one winner per key before <see cref="RunAsync"/>, the rows it wrote after.</summary>
    public string Stage { get; }

    /// <summary>The temporary table of the staged rows that lost to another staged row of their key, shaped like the stage plus a <c>reason</c>.</summary>
    public string Superseded { get; }

    /// <summary>Creates <see cref="Superseded"/> for this transaction, after the stage exists.</summary>
    public async Task PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS {Superseded};
            CREATE TEMP TABLE {Superseded} (LIKE {Stage} INCLUDING DEFAULTS, reason text NOT NULL) ON COMMIT DROP;
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Stages a fresh batch already split into versions: the winners into the stage, the others into
    /// <see cref="Superseded"/>; <paramref name="writeRow"/> writes a row's fields in the order of the merge's columns.
    /// </summary>
    public Task StageAsync<TRow>(
        NpgsqlConnection connection, IReadOnlyList<TRow> winners, IReadOnlyList<SupersededInBatch<TRow>> superseded,
        Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken) =>
        StageAsync(connection, null, winners, superseded, writeRow, cancellationToken);

    /// <summary>As above, for a stage that also carries <paramref name="stagedColumns"/> beyond the merge's (all of them, in the order <paramref name="writeRow"/> writes them).</summary>
    public async Task StageAsync<TRow>(
        NpgsqlConnection connection, IReadOnlyList<string>? stagedColumns, IReadOnlyList<TRow> winners, IReadOnlyList<SupersededInBatch<TRow>> superseded,
        Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeRow);
        var columns = stagedColumns is null ? _columnList : string.Join(", ", stagedColumns);
        await StageImport.WriteAsync(connection, $"COPY {Stage} ({columns}) FROM STDIN (FORMAT BINARY)", winners, writeRow, cancellationToken);
        await StageImport.WriteAsync(connection, $"COPY {Superseded} ({columns}, reason) FROM STDIN (FORMAT BINARY)", superseded, (importer, loser) =>
        {
            writeRow(importer, loser.Row);
            importer.Write(loser.Reason, NpgsqlTypes.NpgsqlDbType.Text);
        }, cancellationToken);
    }

    /// <summary>Splits rows already in the stage (several batches' worth, e.g. released pending rows) into versions, in SQL.</summary>
    public async Task SplitStagedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(_splitSql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Merges the staged winners; returns, per bronze batch of the staged rows, how many were written, superseded and written with warnings.</summary>
    public async Task<List<BatchCounts>> RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(_mergeSql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new List<BatchCounts>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new BatchCounts(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), 0, reader.GetInt64(3)));
        }

        return counts;
    }
}
