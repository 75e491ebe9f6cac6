using HealthMedallion.GoldModeling.Modeling;

namespace HealthMedallion.GoldModeling.Patients;

/// <summary>
/// <c>gold.dim_patients</c>, SCD type 2, sequenced by the sources' own timestamps (like APPLY CHANGES ... SEQUENCE BY).
/// <list type="number">
/// <item>Capture: the batch's source patient records are appended to <c>gold.patient_record_versions</c> under their
/// source timestamp (silver keeps only each record's latest version, so the history lives here).</item>
/// <item>Affected patients: those the batch's records belong to, and those whose membership identity resolution changed
/// (silver.patient_identity_map against gold's copy of it, <c>gold.patient_members</c>).</item>
/// <item>Versions: for each affected patient, at every source timestamp of its records, the golden record as of then
/// (silver's survivorship: each attribute from the first record version that has it, EHR then ADT then LAB, then the
/// latest, then the most complete and best matched); consecutive equal records collapse, so an unchanged record opens nothing and arrival order does not matter.
/// A patient absorbed by a merged identity keeps its versions, all closed when the absorbing patient's other records
/// begin.</item>
/// </list>
/// Only rows that differ are deleted and inserted, so unchanged versions keep their rows.
/// </summary>
public static class PatientDimension
{
    /// <summary>The tracked attributes (a change in any of them opens a version).</summary>
    private static readonly string[] Tracked =
        ["age_years", "sex", "region", "zip3", "bmi", "smoker", "children", "charges", "insurance_plan", "coverage_start_date"];

    private static readonly string[] DimColumns =
    [
        "patient_sk", "patient_id", "age_years", "age_band", "sex", "region", "zip3", "bmi", "smoker", "children", "charges",
        "insurance_plan", "coverage_start_date", "effective_from", "effective_to", "is_current",
    ];

    /// <summary>What the log keeps of a record version: the tracked attributes and survivorship's tie-break.</summary>
    private static readonly string[] Logged = [.. Tracked, "data_quality_score"];

    /// <summary>The record-version log.</summary>
    private const string Log = "gold.patient_record_versions";

    /// <summary>
    /// Silver's patient records as versions of the log (its columns, in its order): what a first capture writes into the
    /// empty log, and so what a rebuild's dimension can read in its place meanwhile.
    /// </summary>
    private static readonly string SilverAsVersions = $"""
        (SELECT r.source_system, r.source_patient_id, coalesce(r.source_updated_at, '-infinity') AS valid_from, {string.Join(", ", Logged.Select(c => "r." + c))}
         FROM silver.patient_records r)
        """;

    /// <summary>
    /// The capture of the records <paramref name="scope"/> keeps: a batch's, or, in a rebuild, those of every batch gold has
    /// not applied. An applied batch's records were captured when it was (in the same transaction), and a record's
    /// current version is always its last writer batch's, so the others are in the log already: a rebuild on a running
    /// deployment compares a few records with the log, not all of silver.
    /// </summary>
    private static string CaptureSql(string scope) => $"""
        INSERT INTO {Log} AS v (source_system, source_patient_id, valid_from, {string.Join(", ", Logged)})
        SELECT r.source_system, r.source_patient_id, coalesce(r.source_updated_at, '-infinity'), {string.Join(", ", Logged.Select(c => "r." + c))}
        FROM silver.patient_records r
        WHERE {scope}
          -- Versions the log already holds as they are (every record, in a rebuild) are left out by one hash anti-join,
          -- which costs a fraction of sending each through ON CONFLICT.
          AND NOT EXISTS (SELECT 1 FROM {Log} x
                          WHERE x.source_system = r.source_system AND x.source_patient_id = r.source_patient_id
                            AND x.valid_from = coalesce(r.source_updated_at, '-infinity')
                            AND ({string.Join(", ", Logged.Select(c => "x." + c))}) IS NOT DISTINCT FROM ({string.Join(", ", Logged.Select(c => "r." + c))}))
        ON CONFLICT (source_system, source_patient_id, valid_from) DO UPDATE
        SET {string.Join(", ", Logged.Select(c => $"{c} = excluded.{c}"))}
        WHERE ({string.Join(", ", Logged.Select(c => "v." + c))}) IS DISTINCT FROM ({string.Join(", ", Logged.Select(c => "excluded." + c))});
        """;

    private static readonly string BatchCaptureSql = CaptureSql("r._batch_id = @batch");

    private static readonly string RebuildCaptureSql = CaptureSql("NOT EXISTS (SELECT 1 FROM gold.batches b WHERE b.batch_id = r._batch_id)");

    /// <summary>
    /// The first capture into an empty log (a new deployment's first rebuild) has nothing to compare with: every record
    /// goes in as it is, without the anti-join and the conflict checks (silver holds one row per source record, so one
    /// version per key), and the rebuild builds the log's key after the fill, with the other keys.
    /// </summary>
    private static readonly string FirstCaptureSql = $"INSERT INTO {Log} SELECT * FROM {SilverAsVersions} r";

    private const string AffectedSql = """
        -- Source records whose content or resolved patient changed: the batch's, and those identity resolution re-pointed.
        CREATE TEMP TABLE gold_changed_records ON COMMIT DROP AS
        SELECT r.source_system, r.source_patient_id
        FROM silver.patient_records r
        WHERE @batch::uuid IS NULL OR r._batch_id = @batch
        UNION
        SELECT s.source_system, s.source_patient_id
        FROM silver.patient_identity_map s
        LEFT JOIN gold.patient_members g ON g.source_system = s.source_system AND g.source_patient_id = s.source_patient_id
        WHERE g.patient_id IS DISTINCT FROM s.patient_id
        UNION
        SELECT g.source_system, g.source_patient_id
        FROM gold.patient_members g
        LEFT JOIN silver.patient_identity_map s ON s.source_system = g.source_system AND s.source_patient_id = g.source_patient_id
        WHERE s.patient_id IS DISTINCT FROM g.patient_id;
        ANALYZE gold_changed_records;

        -- Their patients now, as gold knew them, and every patient they ever belonged to (so that an absorbed one is closed
        -- whether or not gold saw it live).
        INSERT INTO gold_affected (patient_id)
        SELECT m.patient_id FROM gold_changed_records c
        JOIN silver.patient_identity_map m ON m.source_system = c.source_system AND m.source_patient_id = c.source_patient_id
        UNION
        SELECT g.patient_id FROM gold_changed_records c
        JOIN gold.patient_members g ON g.source_system = c.source_system AND g.source_patient_id = c.source_patient_id
        UNION
        SELECT h.old_patient_id FROM gold_changed_records c
        JOIN silver.patient_identity_history h ON h.source_system = c.source_system AND h.source_patient_id = c.source_patient_id
        WHERE h.old_patient_id IS NOT NULL
        ON CONFLICT DO NOTHING;
        -- A patient whose records changed may change where the patients it absorbed end: those are refreshed too.
        INSERT INTO gold_affected (patient_id)
        SELECT DISTINCT h.old_patient_id FROM silver.patient_identity_history h JOIN gold_affected a ON a.patient_id = h.new_patient_id
        WHERE h.old_patient_id IS NOT NULL
        ON CONFLICT DO NOTHING;
        ANALYZE gold_affected;

        DELETE FROM gold.patient_members g USING gold_changed_records c
        WHERE g.source_system = c.source_system AND g.source_patient_id = c.source_patient_id;
        INSERT INTO gold.patient_members (source_system, source_patient_id, patient_id)
        SELECT m.source_system, m.source_patient_id, m.patient_id
        FROM silver.patient_identity_map m
        JOIN gold_changed_records c ON c.source_system = m.source_system AND c.source_patient_id = m.source_patient_id;
        """;

    /// <summary>A current patient's source records (with how well each matched), from silver's identity map.</summary>
    private const string CurrentMembers = """
        SELECT m.patient_id, m.source_system, m.source_patient_id, false AS absorbed, m.match_probability
        FROM silver.patient_identity_map m
        """;

    /// <summary>A patient a merge absorbed (one the map no longer has): the source records it had.</summary>
    private const string AbsorbedMembers = """
        SELECT DISTINCT h.old_patient_id AS patient_id, h.source_system, h.source_patient_id, true AS absorbed, 0::numeric AS match_probability
        FROM silver.patient_identity_history h
        WHERE h.old_patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM silver.patient_identity_map m WHERE m.patient_id = h.old_patient_id)
        """;

    /// <summary>The members (<c>gold_members</c>): <paramref name="members"/>, each a selection of current or absorbed members.</summary>
    private static string MembersSql(params string[] members) => $"""
        CREATE TEMP TABLE gold_members ON COMMIT DROP AS
        {string.Join("\nUNION ALL\n", members)};
        ANALYZE gold_members (patient_id, source_system, source_patient_id, absorbed);
        """;

    /// <summary>Each affected patient's source records: its current ones, or, for a patient a merge absorbed, those it had.</summary>
    private static readonly string AffectedMembersSql = MembersSql(
        $"{CurrentMembers} JOIN gold_affected a ON a.patient_id = m.patient_id",
        $"{AbsorbedMembers} AND h.old_patient_id IN (SELECT patient_id FROM gold_affected)");

    /// <summary>Survivorship's aggregates over rows in its order: each attribute from the first row that has it (sex U counts as missing).</summary>
    private static readonly string Survivorship = string.Join(",\n    ",
        Tracked.Where(c => c != "sex").Select(c => $"(array_agg({c}) FILTER (WHERE {c} IS NOT NULL))[1] AS {c}")
            .Append("coalesce((array_agg(sex) FILTER (WHERE sex <> 'U'))[1], 'U') AS sex"));

    /// <summary>A golden record <c>c</c> (tracked attributes and its time <c>t</c>) as the dimension's columns up to effective_from.</summary>
    private const string DimAttributes = """
        hashtextextended(c.patient_id || '|' || c.t::text, 0) AS patient_sk, c.patient_id,
            c.age_years, gold.age_band(c.age_years) AS age_band, c.sex, coalesce(c.region, 'UNKNOWN') AS region, c.zip3, c.bmi, c.smoker,
            c.children, c.charges, coalesce(c.insurance_plan, 'UNKNOWN') AS insurance_plan, c.coverage_start_date,
            c.t AS effective_from
        """;

    /// <summary>The record versions (from <paramref name="log"/>) of the members in <paramref name="members"/>, with survivorship's precedence of their source.</summary>
    private static string MemberVersions(string members, string log) => $"""
        SELECT mb.patient_id, mb.match_probability, v.*,
            CASE v.source_system WHEN 'EHR_SYSTEM' THEN 1 WHEN 'ADT_SYSTEM' THEN 2 ELSE 3 END AS precedence
        FROM {members} mb
        JOIN {log} v ON v.source_system = mb.source_system AND v.source_patient_id = mb.source_patient_id
        """;

    /// <summary>
    /// The versions of the patients whose record versions <paramref name="versions"/> selects, written by
    /// <paramref name="into"/> (as the dimension's columns, in its order): every record version with the interval in which
    /// it was its record's latest (<paramref name="history"/>), the golden record as of each of their source timestamps,
    /// consecutive equal records collapsed. Intervals run to the next version, or infinity; an absorbed patient's
    /// (<paramref name="absorbed"/>) are all closed, at the latest by the merge (<c>gold_absorbed</c>).
    /// </summary>
    private static string HistorySql(string history, string versions, bool absorbed, string into) => $"""
        -- (Anti-joins in the callers, never NOT IN: a NOT IN list too large to hash is scanned once per row.)
        CREATE TEMP TABLE {history} ON COMMIT DROP AS
        SELECT v.*, lead(v.valid_from, 1, 'infinity') OVER (PARTITION BY v.patient_id, v.source_system, v.source_patient_id ORDER BY v.valid_from) AS valid_to
        FROM {versions} v;
        ANALYZE {history} (patient_id, valid_from);

        -- The golden record as of each source timestamp of the patient's records: the aggregates take the rows in the
        -- sub-select's order, survivorship's (source, latest, most complete, best matched), so that one sort serves all ten.
        CREATE TEMP TABLE {history}_as_of ON COMMIT DROP AS
        SELECT patient_id, t,
            {Survivorship}
        FROM (
            SELECT p.patient_id, p.t, {string.Join(", ", Tracked.Select(c => "v." + c))}
            FROM (SELECT DISTINCT patient_id, valid_from AS t FROM {history}) p
            JOIN {history} v ON v.patient_id = p.patient_id AND v.valid_from <= p.t AND p.t < v.valid_to
            ORDER BY p.patient_id, p.t, v.precedence, v.valid_from DESC, v.data_quality_score DESC, v.match_probability DESC, v.source_patient_id
        ) survivorship
        GROUP BY patient_id, t;

        {into}
        SELECT {DimAttributes},
            {(absorbed ? "least(lead(c.t, 1, ab.closed_at) OVER w, ab.closed_at)" : "lead(c.t, 1, 'infinity') OVER w")} AS effective_to,
            {(absorbed ? "false" : "lead(c.t) OVER w IS NULL")} AS is_current
        FROM (
            SELECT a.*, lag(ROW({string.Join(", ", Tracked.Select(c => "a." + c))})) OVER (PARTITION BY a.patient_id ORDER BY a.t) AS previous
            FROM {history}_as_of a
        ) c
        {(absorbed ? "JOIN gold_absorbed ab ON ab.patient_id = c.patient_id" : "")}
        WHERE c.previous IS DISTINCT FROM ROW({string.Join(", ", Tracked.Select(col => "c." + col))})
        WINDOW w AS (PARTITION BY c.patient_id ORDER BY c.t);
        """;

    /// <summary>
    /// The current patients' versions (of the members in <c>gold_members</c>, from <paramref name="log"/>), into a new
    /// <c>gold_dim_new</c>; the patients whose records carry several source timestamps in <c>gold_multi_timestamp</c>.
    /// </summary>
    private static string CurrentVersionsSql(string log) => $"""
        -- Nearly every patient's record versions all carry one source timestamp: every version is in effect from then on,
        -- so the golden record is one GROUP BY in survivorship's order (source, most complete, best matched) and it is
        -- the patient's only, current, version. One sort (of the columns it needs) and one pass, with no as-of join, straight
        -- from the join of members and versions (kept as a table, its 2.1 million rows at a million patients took 1.5 s more
        -- to write and read back than the join). The same pass names the others, which take the as-of path: finding them
        -- by joining every member with its versions a second time cost 3.5 s at a million patients, for 2,500 of them.
        CREATE TEMP TABLE gold_dim_new (LIKE gold.dim_patients) ON COMMIT DROP;
        CREATE TEMP TABLE gold_multi_timestamp (patient_id text PRIMARY KEY) ON COMMIT DROP;
        WITH golden AS MATERIALIZED (
            SELECT patient_id, min(valid_from) AS t, max(valid_from) AS last_t,
                {Survivorship}
            FROM (
                SELECT patient_id, valid_from, {string.Join(", ", Tracked)}
                FROM ({MemberVersions("gold_members", log)} WHERE NOT mb.absorbed) v
                ORDER BY patient_id, precedence, data_quality_score DESC, match_probability DESC, source_patient_id
            ) survivorship
            GROUP BY patient_id
        ), multi_timestamp AS (
            INSERT INTO gold_multi_timestamp SELECT patient_id FROM golden WHERE t < last_t
        )
        INSERT INTO gold_dim_new ({string.Join(", ", DimColumns)})
        SELECT {DimAttributes}, 'infinity'::timestamptz AS effective_to, true AS is_current
        FROM golden c
        WHERE c.t = c.last_t;
        ANALYZE gold_multi_timestamp;

        -- Their members first: the planner, which cannot tell how many members' versions there are (it expects a
        -- hundredth of them), would otherwise join them all with their versions before keeping these.
        CREATE TEMP TABLE gold_multi_timestamp_members ON COMMIT DROP AS
        SELECT mb.* FROM gold_members mb WHERE NOT mb.absorbed AND mb.patient_id IN (SELECT patient_id FROM gold_multi_timestamp);
        ANALYZE gold_multi_timestamp_members;
        {HistorySql("gold_history_versions", $"({MemberVersions("gold_multi_timestamp_members", log)})",
            absorbed: false, into: $"INSERT INTO gold_dim_new ({string.Join(", ", DimColumns)})")}
        ANALYZE gold_dim_new (patient_id);
        """;

    /// <summary>Where each absorbed patient's records are now (this part reads no record version).</summary>
    private const string AbsorbedNowSql = """
        CREATE TEMP TABLE gold_absorbed_now ON COMMIT DROP AS
        SELECT ab.patient_id, now.patient_id AS now_patient_id
        FROM gold_members ab
        LEFT JOIN silver.patient_identity_map now ON now.source_system = ab.source_system AND now.source_patient_id = ab.source_patient_id
        WHERE ab.absorbed;
        ANALYZE gold_absorbed_now;
        """;

    /// <summary>The patients that absorbed them whose records' versions all carry one source timestamp, from the log.</summary>
    private const string SingleTimestampFromLog = $"""
        SELECT m.patient_id
        FROM silver.patient_identity_map m
        JOIN {Log} v ON v.source_system = m.source_system AND v.source_patient_id = m.source_patient_id
        WHERE m.patient_id IN (SELECT now_patient_id FROM gold_absorbed_now)
        GROUP BY m.patient_id
        HAVING min(v.valid_from) = max(v.valid_from)
        """;

    /// <summary>
    /// The same patients in a rebuild, whose new dimension (<see cref="CurrentVersionsSql"/>) holds every current patient:
    /// those it did not send through the as-of path. This spares joining every member with its versions a second time
    /// (4.1 s at a million patients, for the 720,000 patients that absorbed others, against 0.4 s).
    /// </summary>
    private const string SingleTimestampFromNewDimension = """
        SELECT n.patient_id
        FROM gold_dim_new n
        WHERE NOT EXISTS (SELECT 1 FROM gold_multi_timestamp m WHERE m.patient_id = n.patient_id)
        """;

    /// <summary>
    /// The rest of <see cref="AbsorbedVersionsSql"/>, which reads the record versions: <paramref name="singleTimestamp"/>
    /// selects the current patients (at least those that absorbed others) whose records' versions all carry one source
    /// timestamp.
    /// </summary>
    private static string AbsorbedVersionsFromLogSql(string singleTimestamp, string log) => $"""
        -- Nearly every absorbed patient's records now all belong to one patient whose versions all carry one source
        -- timestamp, t. Its own versions, those records' versions, then all begin at t, and it ends at t (where the
        -- absorbing patient's other records begin) or before (if there are none): it has no version left, and needs no
        -- closing time (772,000 such patients at a million, whose closing times cost 12 s).
        CREATE TEMP TABLE gold_absorbed_gone ON COMMIT DROP AS
        SELECT a.patient_id
        FROM gold_absorbed_now a
        LEFT JOIN ({singleTimestamp}) single ON single.patient_id = a.now_patient_id
        GROUP BY a.patient_id
        HAVING min(a.now_patient_id) = max(a.now_patient_id) AND bool_and(single.patient_id IS NOT NULL);
        ANALYZE gold_absorbed_gone;

        CREATE TEMP TABLE gold_absorbed_members ON COMMIT DROP AS
        SELECT mb.patient_id, mb.source_system, mb.source_patient_id, mb.match_probability FROM gold_members mb
        WHERE mb.absorbed AND NOT EXISTS (SELECT 1 FROM gold_absorbed_gone g WHERE g.patient_id = mb.patient_id);
        ANALYZE gold_absorbed_members;

        -- The other absorbed patients end where the absorbing patient's own records (never the absorbed one's) begin.
        CREATE TEMP TABLE gold_absorbed ON COMMIT DROP AS
        SELECT ab.patient_id, min(v.valid_from) AS closed_at
        FROM gold_absorbed_members ab
        JOIN silver.patient_identity_map now ON now.source_system = ab.source_system AND now.source_patient_id = ab.source_patient_id
        JOIN silver.patient_identity_map sibling ON sibling.patient_id = now.patient_id
        JOIN {log} v ON v.source_system = sibling.source_system AND v.source_patient_id = sibling.source_patient_id
        LEFT JOIN gold_absorbed_members own ON own.patient_id = ab.patient_id AND own.source_system = sibling.source_system AND own.source_patient_id = sibling.source_patient_id
        WHERE own.patient_id IS NULL
        GROUP BY ab.patient_id;
        INSERT INTO gold_absorbed (patient_id, closed_at)
        SELECT DISTINCT mb.patient_id, '-infinity'::timestamptz FROM gold_absorbed_members mb
        WHERE NOT EXISTS (SELECT 1 FROM gold_absorbed ab WHERE ab.patient_id = mb.patient_id);
        ANALYZE gold_absorbed;

        CREATE TEMP TABLE gold_absorbed_versions ON COMMIT DROP AS
        {MemberVersions("gold_absorbed_members", log)};
        ANALYZE gold_absorbed_versions (patient_id);

        -- Those whose versions all begin at or after their merge have none left either: they skip the as-of path too.
        INSERT INTO gold_absorbed_gone (patient_id)
        SELECT ab.patient_id FROM gold_absorbed ab
        JOIN gold_absorbed_versions v ON v.patient_id = ab.patient_id
        GROUP BY ab.patient_id, ab.closed_at
        HAVING ab.closed_at <= min(v.valid_from);

        {HistorySql("gold_absorbed_history", "(SELECT * FROM gold_absorbed_versions v WHERE NOT EXISTS (SELECT 1 FROM gold_absorbed_gone g WHERE g.patient_id = v.patient_id))",
            absorbed: true, into: "CREATE TEMP TABLE gold_absorbed_dim ON COMMIT DROP AS")}
        -- An absorbed patient's versions that begin at or after the merge never existed on their own.
        DELETE FROM gold_absorbed_dim WHERE effective_from >= effective_to;
        """;

    /// <summary>
    /// The versions of the patients merges absorbed (of the members in <c>gold_members</c>), into a table of their own,
    /// <c>gold_absorbed_dim</c>. An absorbed patient keeps its versions, all closed when the absorbing patient's other
    /// records begin.
    /// </summary>
    private static readonly string AbsorbedVersionsSql = $"""
        {AbsorbedNowSql}
        {AbsorbedVersionsFromLogSql(SingleTimestampFromLog, Log)}
        """;

    /// <summary>Only rows that differ are deleted and inserted, so unchanged versions keep their rows.</summary>
    private static readonly string ApplySql = $"""
        DELETE FROM gold.dim_patients d USING gold_affected a
        WHERE d.patient_id = a.patient_id
          AND NOT EXISTS (SELECT 1 FROM gold_dim_new n WHERE n.patient_sk = d.patient_sk
                          AND ({string.Join(", ", DimColumns.Select(c => "n." + c))}) IS NOT DISTINCT FROM ({string.Join(", ", DimColumns.Select(c => "d." + c))}));
        INSERT INTO gold.dim_patients ({string.Join(", ", DimColumns)})
        SELECT {string.Join(", ", DimColumns.Select(c => "n." + c))} FROM gold_dim_new n
        WHERE NOT EXISTS (SELECT 1 FROM gold.dim_patients d WHERE d.patient_sk = n.patient_sk);
        """;

    /// <summary>
    /// Every patient's members (a rebuild's), and where the absorbed ones' records are now (none of this reads a record
    /// version). The current members are silver's map as it is: a view over it spares copying it (2.1 million rows at a
    /// million patients, 2 s); the planner drops the branch a query's <c>absorbed</c> condition excludes.
    /// </summary>
    private static readonly string RebuildMembersSql = $"""
        CREATE TEMP TABLE gold_absorbed_members_all ON COMMIT DROP AS {AbsorbedMembers};
        ANALYZE gold_absorbed_members_all;
        -- The view goes with the table at commit. Each branch's absorbed is a constant, so that a query's condition on it
        -- drops the other branch as it is planned instead of filtering its rows one by one.
        CREATE TEMP VIEW gold_members AS
        {CurrentMembers}
        UNION ALL
        SELECT a.patient_id, a.source_system, a.source_patient_id, true AS absorbed, a.match_probability FROM gold_absorbed_members_all a;
        {AbsorbedNowSql}
        """;

    /// <summary>Every patient's versions (a rebuild's), from <paramref name="log"/>.</summary>
    private static string RebuildVersionsSql(string log) => $"""
        {CurrentVersionsSql(log)}
        {AbsorbedVersionsFromLogSql(SingleTimestampFromNewDimension, log)}
        INSERT INTO gold_dim_new SELECT * FROM gold_absorbed_dim;
        """;

    private static readonly string RebuildVersionsFromLogSql = RebuildVersionsSql(Log);

    private static readonly string RebuildVersionsFromSilverSql = RebuildVersionsSql(SilverAsVersions);

    /// <summary>A rebuild fills the emptied dimension: every new row goes in.</summary>
    private static readonly string RebuildApplySql = $"""
        INSERT INTO gold.dim_patients ({string.Join(", ", DimColumns)})
        SELECT {string.Join(", ", DimColumns)} FROM gold_dim_new;
        """;

    /// <summary>
    /// A rebuild's copy of silver's map into the emptied <c>gold.patient_members</c> (which the next batches compare with
    /// silver's): the dimension does not read it, so the copy can run beside it.
    /// </summary>
    public static Task<long> CopyMembersAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync("""
            INSERT INTO gold.patient_members (source_system, source_patient_id, patient_id)
            SELECT source_system, source_patient_id, patient_id FROM silver.patient_identity_map
            """, cancellationToken);
    }

    /// <summary>
    /// Appends to the record-version log the versions of silver's patient records it lacks: the batch's, or (no batch)
    /// those of every batch gold has not applied (every record's into an empty log). A rebuild captures in a step of its
    /// own, beside the start of <see cref="RebuildAsync"/>.
    /// </summary>
    /// <param name="firstCapture">The log is empty and its key dropped (a rebuild's first capture, see <see cref="FirstCaptureSql"/>).</param>
    public static Task<long> CaptureAsync(GoldSql sql, bool firstCapture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync(firstCapture ? FirstCaptureSql : sql.IsRebuild ? RebuildCaptureSql : BatchCaptureSql, cancellationToken);
    }

    /// <summary>
    /// Brings the dimension up to date for a patients batch; fills <c>gold_affected</c> and returns how many patients
    /// were affected.
    /// </summary>
    public static async Task<long> RefreshAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        await CaptureAsync(sql, firstCapture: false, cancellationToken);
        await sql.ExecuteAsync(AffectedSql, cancellationToken);
        await sql.ExecuteAsync($"""
            {AffectedMembersSql}
            {CurrentVersionsSql(Log)}
            {AbsorbedVersionsSql}
            INSERT INTO gold_dim_new SELECT * FROM gold_absorbed_dim;
            {ApplySql}
            """, cancellationToken);
        return await sql.CountAsync("SELECT count(*) FROM gold_affected", cancellationToken);
    }

    /// <summary>
    /// A rebuild's dimension, into the emptied table: every patient's versions, the current patients' and those of the
    /// patients merges absorbed. The members, and where the absorbed ones' records are now, are collected while
    /// <paramref name="captured"/>, the capture's step, brings the log up to date; their versions are read from the log
    /// once it has committed, or, on a first capture (<paramref name="firstCapture"/>), from silver at once, which holds
    /// what the log will: the dimension, which every later step waits for, then need not wait for the capture and its key
    /// (9-15 s at a million patients).
    /// Returns how many versions were written (every patient is affected: the versions say whether there are any,
    /// without counting the patients, a GROUP BY over every member that costs 2 s at a million).
    /// </summary>
    public static async Task<long> RebuildAsync(GoldSql sql, bool firstCapture, Task captured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(captured);
        await sql.ExecuteAsync(RebuildMembersSql, cancellationToken);
        if (!firstCapture)
        {
            await captured;
        }

        await sql.ExecuteAsync(firstCapture ? RebuildVersionsFromSilverSql : RebuildVersionsFromLogSql, cancellationToken);
        return await sql.ExecuteAsync(RebuildApplySql, cancellationToken);
    }
}
