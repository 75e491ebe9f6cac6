using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>
/// The set-based upsert every entity shares, from a staging table into its silver table, one row per business key:
/// <list type="bullet">
/// <item>an exact copy of a row already staged or already in silver is superseded as <c>exact_duplicate</c>;</item>
/// <item>of the remaining rows of a key the latest version wins (the entity's version order: a source timestamp
/// where there is one, then file name and row number, as landing file names sort by time), and the others
/// are superseded as <c>older_version</c>;</item>
/// <item>a winner later than the silver row replaces it (which is recorded as <c>replaced</c>), an earlier one
/// is superseded: so files arriving in any order give the same silver table.</item>
/// </list>
/// The outcome of every staged row stays in the temporary table <c>{entity}_outcome</c> until the commit, for the
/// steps that follow (identity, length of stay, risk). Writers to silver hold <see cref="SilverLock"/>, so a key
/// found absent is still absent at the insert: plain INSERT and UPDATE, no ON CONFLICT speculation.
/// </summary>
public sealed class SilverMerge
{
    private readonly string _sql;

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
        Outcome = entity + "_outcome";
        string Keys(string alias) => string.Join(", ", keys.Select(k => $"{alias}.{k}"));
        string Join(string left, string right) => string.Join(" AND ", keys.Select(k => $"{left}.{k} = {right}.{k}"));
        var businessKey = keys.Length == 1 ? $"o.{keys[0]}" : $"concat_ws(':', {Keys("o")})";
        var list = string.Join(", ", columns);
        var updates = string.Join(", ", columns.Except(keys).Select(c => $"{c} = excluded.{c}"));
        string Version(string alias) => string.Join(", ", versionOrder(alias));
        string Latest(string alias) => string.Join(", ", versionOrder(alias).Select(e => e + " DESC"));

        // Temporary tables get no statistics unless asked: without them the planner guesses their size and picks
        // nested loops over tables of hundreds of thousands of rows.
        _sql = $"""
            ANALYZE {stage};
            DROP TABLE IF EXISTS {Outcome};
            CREATE TEMP TABLE {Outcome} ON COMMIT DROP AS
            WITH copies AS (
                SELECT s.*, row_number() OVER (PARTITION BY {Keys("s")}, s.content_hash ORDER BY s._file_name, s._row_number) AS copy_rank
                FROM {stage} s
            ), versions AS (
                SELECT c.*, row_number() OVER (PARTITION BY {Keys("c")}, c.copy_rank = 1 ORDER BY {Latest("c")}) AS version_rank
                FROM copies c
            )
            SELECT v.*,
                CASE
                    WHEN v.copy_rank > 1 THEN 'exact_duplicate'
                    WHEN v.version_rank > 1 THEN 'older_version'
                    WHEN t.{keys[0]} IS NULL THEN 'insert'
                    WHEN t.content_hash = v.content_hash THEN 'exact_duplicate'
                    WHEN ({Version("v")}) > ({Version("t")}) THEN 'update'
                    ELSE 'older_version'
                END AS outcome,
                t._batch_id AS current_batch_id, t._file_name AS current_file_name, t._row_number AS current_row_number
            FROM versions v LEFT JOIN {table} t ON {Join("t", "v")};
            ANALYZE {Outcome};

            INSERT INTO {table} ({list})
            SELECT {list} FROM {Outcome} WHERE outcome = 'insert';

            UPDATE {table} t SET {updates}, processed_at = now()
            FROM {Outcome} excluded WHERE excluded.outcome = 'update' AND {Join("t", "excluded")};

            INSERT INTO silver.superseded (entity, business_key, _batch_id, _file_name, _row_number, reason,
                                           superseded_by_batch_id, superseded_by_file_name, superseded_by_row)
            SELECT '{entity}', {businessKey}, o._batch_id, o._file_name, o._row_number, o.outcome, t._batch_id, t._file_name, t._row_number
            FROM {Outcome} o JOIN {table} t ON {Join("t", "o")}
            WHERE o.outcome IN ('exact_duplicate', 'older_version')
            UNION ALL
            SELECT '{entity}', {businessKey}, o.current_batch_id, o.current_file_name, o.current_row_number, 'replaced', o._batch_id, o._file_name, o._row_number
            FROM {Outcome} o WHERE o.outcome = 'update';

            SELECT _batch_id,
                count(*) FILTER (WHERE outcome IN ('insert', 'update')),
                count(*) FILTER (WHERE outcome IN ('exact_duplicate', 'older_version')),
                count(*) FILTER (WHERE outcome IN ('insert', 'update') AND cardinality(failed_warnings) > 0)
            FROM {Outcome} GROUP BY _batch_id;
            """;
    }

    public string Entity { get; }

    /// <summary>The temporary table holding each staged row with its <c>outcome</c>.</summary>
    public string Outcome { get; }

    /// <summary>Merges what is staged; returns, per bronze batch of the staged rows, how many were written and superseded.</summary>
    public async Task<List<BatchCounts>> RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(_sql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var counts = new List<BatchCounts>();
        while (await reader.ReadAsync(cancellationToken))
        {
            counts.Add(new BatchCounts(reader.GetGuid(0), reader.GetInt64(1), reader.GetInt64(2), 0, reader.GetInt64(3)));
        }

        return counts;
    }
}
