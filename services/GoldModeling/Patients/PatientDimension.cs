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

    private static readonly string CaptureSql = $"""
        INSERT INTO gold.patient_record_versions AS v (source_system, source_patient_id, valid_from, {string.Join(", ", Logged)})
        SELECT r.source_system, r.source_patient_id, coalesce(r.source_updated_at, '-infinity'), {string.Join(", ", Logged.Select(c => "r." + c))}
        FROM silver.patient_records r
        WHERE (@batch::uuid IS NULL OR r._batch_id = @batch)
          -- Versions the log already holds as they are (every record, in a rebuild) are left out by one hash anti-join,
          -- which costs a fraction of sending each through ON CONFLICT.
          AND NOT EXISTS (SELECT 1 FROM gold.patient_record_versions x
                          WHERE x.source_system = r.source_system AND x.source_patient_id = r.source_patient_id
                            AND x.valid_from = coalesce(r.source_updated_at, '-infinity')
                            AND ({string.Join(", ", Logged.Select(c => "x." + c))}) IS NOT DISTINCT FROM ({string.Join(", ", Logged.Select(c => "r." + c))}))
        ON CONFLICT (source_system, source_patient_id, valid_from) DO UPDATE
        SET {string.Join(", ", Logged.Select(c => $"{c} = excluded.{c}"))}
        WHERE ({string.Join(", ", Logged.Select(c => "v." + c))}) IS DISTINCT FROM ({string.Join(", ", Logged.Select(c => "excluded." + c))});
        """;

    /// <summary>
    /// The first capture into an empty log (a new deployment's first rebuild) has nothing to compare with: every record
    /// goes in as it is, without the anti-join and the conflict checks (silver holds one row per source record, so one
    /// version per key), and the rebuild builds the log's key after the fill, with the other keys.
    /// </summary>
    private static readonly string FirstCaptureSql = $"""
        INSERT INTO gold.patient_record_versions (source_system, source_patient_id, valid_from, {string.Join(", ", Logged)})
        SELECT r.source_system, r.source_patient_id, coalesce(r.source_updated_at, '-infinity'), {string.Join(", ", Logged.Select(c => "r." + c))}
        FROM silver.patient_records r;
        """;

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

    /// <summary>Each affected patient's source records: its current ones, or, for a patient a merge absorbed, those it had.</summary>
    private const string MembersSql = """
        CREATE TEMP TABLE gold_members ON COMMIT DROP AS
        SELECT m.patient_id, m.source_system, m.source_patient_id, false AS absorbed, m.match_probability
        FROM silver.patient_identity_map m JOIN gold_affected a ON a.patient_id = m.patient_id
        UNION ALL
        SELECT DISTINCT h.old_patient_id, h.source_system, h.source_patient_id, true, 0::numeric
        FROM silver.patient_identity_history h JOIN gold_affected a ON a.patient_id = h.old_patient_id
        WHERE NOT EXISTS (SELECT 1 FROM silver.patient_identity_map m WHERE m.patient_id = h.old_patient_id);
        ANALYZE gold_members (patient_id, source_system, source_patient_id, absorbed);
        """;

    /// <summary>
    /// A rebuild affects every patient silver knows or knew: the same members as <see cref="MembersSql"/> would give
    /// with every patient affected, without collecting them first.
    /// </summary>
    private const string AllMembersSql = """
        CREATE TEMP TABLE gold_members ON COMMIT DROP AS
        SELECT m.patient_id, m.source_system, m.source_patient_id, false AS absorbed, m.match_probability
        FROM silver.patient_identity_map m
        UNION ALL
        SELECT DISTINCT h.old_patient_id, h.source_system, h.source_patient_id, true, 0::numeric
        FROM silver.patient_identity_history h
        WHERE h.old_patient_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM silver.patient_identity_map m WHERE m.patient_id = h.old_patient_id);
        ANALYZE gold_members (patient_id, source_system, source_patient_id, absorbed);
        """;

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

    private static readonly string VersionsSql = $"""
        -- Every version of the members' records.
        CREATE TEMP TABLE gold_member_versions ON COMMIT DROP AS
        SELECT mb.patient_id, mb.absorbed, mb.match_probability, v.*,
            CASE v.source_system WHEN 'EHR_SYSTEM' THEN 1 WHEN 'ADT_SYSTEM' THEN 2 ELSE 3 END AS precedence
        FROM gold_members mb
        JOIN gold.patient_record_versions v ON v.source_system = mb.source_system AND v.source_patient_id = mb.source_patient_id;
        ANALYZE gold_member_versions (patient_id);

        -- Nearly every patient's record versions all carry one source timestamp: every version is in effect from then on,
        -- so the golden record is one GROUP BY in survivorship's order (source, most complete, best matched) and it is
        -- the patient's only, current, version. One sort (of the columns it needs, without the absorbed patients, whose
        -- members are all absorbed) and one pass, with no as-of join.
        CREATE TEMP TABLE gold_dim_new ON COMMIT DROP AS
        SELECT {DimAttributes}, 'infinity'::timestamptz AS effective_to, true AS is_current
        FROM (
            SELECT patient_id, min(valid_from) AS t,
                {Survivorship}
            FROM (
                SELECT patient_id, valid_from, {string.Join(", ", Tracked)} FROM gold_member_versions
                WHERE NOT absorbed
                ORDER BY patient_id, precedence, data_quality_score DESC, match_probability DESC, source_patient_id
            ) survivorship
            GROUP BY patient_id
            HAVING min(valid_from) = max(valid_from)
        ) c;

        ANALYZE gold_dim_new (patient_id);

        -- Nearly every absorbed patient's records now all belong to one patient whose versions all carry one source
        -- timestamp, t. Its own versions, those records' versions, then all begin at t, and it ends at t (where the
        -- absorbing patient's other records begin) or before (if there are none): it has no version left, and needs no
        -- closing time (772,000 such patients at a million, whose closing times cost 12 s).
        CREATE TEMP TABLE gold_absorbed_gone ON COMMIT DROP AS
        SELECT ab.patient_id
        FROM gold_members ab
        LEFT JOIN silver.patient_identity_map now ON now.source_system = ab.source_system AND now.source_patient_id = ab.source_patient_id
        LEFT JOIN gold_dim_new single ON single.patient_id = now.patient_id
        WHERE ab.absorbed
        GROUP BY ab.patient_id
        HAVING min(now.patient_id) = max(now.patient_id) AND bool_and(single.patient_id IS NOT NULL);
        ANALYZE gold_absorbed_gone;

        CREATE TEMP TABLE gold_absorbed_members ON COMMIT DROP AS
        SELECT mb.patient_id, mb.source_system, mb.source_patient_id FROM gold_members mb
        WHERE mb.absorbed AND NOT EXISTS (SELECT 1 FROM gold_absorbed_gone g WHERE g.patient_id = mb.patient_id);
        ANALYZE gold_absorbed_members;

        -- The other absorbed patients end where the absorbing patient's own records (never the absorbed one's) begin.
        CREATE TEMP TABLE gold_absorbed ON COMMIT DROP AS
        SELECT ab.patient_id, min(v.valid_from) AS closed_at
        FROM gold_absorbed_members ab
        JOIN silver.patient_identity_map now ON now.source_system = ab.source_system AND now.source_patient_id = ab.source_patient_id
        JOIN silver.patient_identity_map sibling ON sibling.patient_id = now.patient_id
        JOIN gold.patient_record_versions v ON v.source_system = sibling.source_system AND v.source_patient_id = sibling.source_patient_id
        LEFT JOIN gold_absorbed_members own ON own.patient_id = ab.patient_id AND own.source_system = sibling.source_system AND own.source_patient_id = sibling.source_patient_id
        WHERE own.patient_id IS NULL
        GROUP BY ab.patient_id;
        INSERT INTO gold_absorbed (patient_id, closed_at)
        SELECT DISTINCT mb.patient_id, '-infinity'::timestamptz FROM gold_absorbed_members mb
        WHERE NOT EXISTS (SELECT 1 FROM gold_absorbed ab WHERE ab.patient_id = mb.patient_id);
        ANALYZE gold_absorbed;

        -- Those whose versions all begin at or after their merge have none left either (the delete below would take them
        -- all): they skip the as-of path too.
        INSERT INTO gold_absorbed_gone (patient_id)
        SELECT ab.patient_id FROM gold_absorbed ab
        JOIN gold_member_versions v ON v.absorbed AND v.patient_id = ab.patient_id
        GROUP BY ab.patient_id, ab.closed_at
        HAVING ab.closed_at <= min(v.valid_from);
        ANALYZE gold_absorbed_gone;

        -- The others (several source timestamps, or absorbed by a merge): every version with the interval in which it was
        -- its record's latest. (Anti-joins, never NOT IN: a NOT IN list too large to hash is scanned once per row.)
        CREATE TEMP TABLE gold_history_versions ON COMMIT DROP AS
        SELECT v.*, lead(v.valid_from, 1, 'infinity') OVER (PARTITION BY v.patient_id, v.source_system, v.source_patient_id ORDER BY v.valid_from) AS valid_to
        FROM gold_member_versions v
        WHERE NOT EXISTS (SELECT 1 FROM gold_dim_new n WHERE n.patient_id = v.patient_id)
          AND NOT EXISTS (SELECT 1 FROM gold_absorbed_gone g WHERE g.patient_id = v.patient_id);
        ANALYZE gold_history_versions (patient_id, valid_from);

        -- The golden record as of each source timestamp of the patient's records: the aggregates take the rows in the
        -- sub-select's order, survivorship's (source, latest, most complete, best matched), so that one sort serves all ten.
        CREATE TEMP TABLE gold_as_of ON COMMIT DROP AS
        SELECT patient_id, t,
            {Survivorship}
        FROM (
            SELECT p.patient_id, p.t, {string.Join(", ", Tracked.Select(c => "v." + c))}
            FROM (SELECT DISTINCT patient_id, valid_from AS t FROM gold_history_versions) p
            JOIN gold_history_versions v ON v.patient_id = p.patient_id AND v.valid_from <= p.t AND p.t < v.valid_to
            ORDER BY p.patient_id, p.t, v.precedence, v.valid_from DESC, v.data_quality_score DESC, v.match_probability DESC, v.source_patient_id
        ) survivorship
        GROUP BY patient_id, t;

        -- Consecutive equal records collapse into one version; intervals run to the next version (or the merge, or infinity).
        INSERT INTO gold_dim_new ({string.Join(", ", DimColumns)})
        SELECT {DimAttributes},
            CASE WHEN ab.patient_id IS NULL THEN lead(c.t, 1, 'infinity') OVER w
                 ELSE least(lead(c.t, 1, ab.closed_at) OVER w, ab.closed_at) END AS effective_to,
            ab.patient_id IS NULL AND lead(c.t) OVER w IS NULL AS is_current
        FROM (
            SELECT a.*, lag(ROW({string.Join(", ", Tracked.Select(c => "a." + c))})) OVER (PARTITION BY a.patient_id ORDER BY a.t) AS previous
            FROM gold_as_of a
        ) c
        LEFT JOIN gold_absorbed ab ON ab.patient_id = c.patient_id
        WHERE c.previous IS DISTINCT FROM ROW({string.Join(", ", Tracked.Select(col => "c." + col))})
        WINDOW w AS (PARTITION BY c.patient_id ORDER BY c.t);
        -- An absorbed patient's versions that begin at or after the merge never existed on their own.
        DELETE FROM gold_dim_new WHERE effective_from >= effective_to;
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
    /// every record's. A rebuild captures in a step of its own, beside the start of <see cref="RebuildAsync"/>.
    /// </summary>
    /// <param name="firstCapture">The log is empty and its key dropped (a rebuild's first capture, see <see cref="FirstCaptureSql"/>).</param>
    public static Task<long> CaptureAsync(GoldSql sql, bool firstCapture, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync(firstCapture ? FirstCaptureSql : CaptureSql, cancellationToken);
    }

    /// <summary>
    /// Brings the dimension up to date for a patients batch; fills <c>gold_affected</c> and returns how many patients
    /// were affected.
    /// </summary>
    public static async Task<long> RefreshAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        await CaptureAsync(sql, firstCapture: false, cancellationToken);
        await sql.ExecuteAsync(AffectedSql, cancellationToken);
        await sql.ExecuteAsync(MembersSql + VersionsSql + ApplySql, cancellationToken);
        return await sql.CountAsync("SELECT count(*) FROM gold_affected", cancellationToken);
    }

    /// <summary>
    /// A rebuild's dimension, into the emptied table: every patient's versions. The members are collected while
    /// <paramref name="captured"/>, the capture's step, brings the log up to date; the versions are read from the log once
    /// it has committed. Returns how many versions were written (every patient is affected: the versions say whether there
    /// are any, without counting the patients, a GROUP BY over every member that costs 2 s at a million patients).
    /// </summary>
    public static async Task<long> RebuildAsync(GoldSql sql, Task captured, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(captured);
        await sql.ExecuteAsync(AllMembersSql, cancellationToken);
        await captured;
        await sql.ExecuteAsync(VersionsSql, cancellationToken);
        return await sql.ExecuteAsync(RebuildApplySql, cancellationToken);
    }
}
