using HealthMedallion.GoldModeling.Facts;
using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.ServiceDefaults.Postgres;

namespace HealthMedallion.GoldModeling.Marts;

/// <summary>
/// The patient-grained marts. <c>gold.mart_patient_360</c> (demographics and utilization) and
/// <c>gold.mart_patient_claims</c> (lifetime claims and the stratum the patient counts in) are recomputed for the patients
/// whose versions or events a refresh changed; for those whose claims alone changed, the claims row moves by the claims
/// delta. <c>gold.mart_risk_stratification</c> is kept by the signed delta of the patient claims rows, and
/// <c>gold.mart_hipaa_compliance</c>, whose checks are cheap enough, is run whole every time.
/// </summary>
public static class PatientMarts
{
    private static readonly string[] Columns =
    [
        "patient_id", "patient_sk", "age_years", "age_band", "sex", "region", "zip3", "insurance_plan", "bmi", "smoker",
        "events", "admissions", "lab_results", "stay_days", "last_admission_at", "last_admission_provider", "latest_labs",
    ];

    private static readonly string[] ClaimColumns =
    [
        "patient_id", "risk_category", "region", "insurance_plan", "age_band", "age_years", "bmi", "smoker", "admissions",
        "claims", "claims_total", "approved_total", "paid_total", "denied_claims", "first_claim_date", "last_claim_date",
    ];

    /// <summary>Per patient among <paramref name="events"/> (event facts, or silver's events as facts): counts and days of stay.</summary>
    private static string EventTotals(string events) => $"""
        SELECT f.patient_id, count(*) AS events, count(*) FILTER (WHERE f.event_type = 'admission') AS admissions,
            count(*) FILTER (WHERE f.event_type = 'lab_result') AS lab_results, coalesce(sum(f.length_of_stay_days), 0) AS stay_days
        FROM {events} f
        GROUP BY f.patient_id
        """;

    /// <summary>Per patient among <paramref name="events"/>: the last admission's time and provider.</summary>
    private static string LastAdmissions(string events) => $"""
        SELECT DISTINCT ON (f.patient_id) f.patient_id, f.event_date, f.medical_provider
        FROM {events} f
        WHERE f.event_type = 'admission'
        ORDER BY f.patient_id, f.event_date DESC, f.event_id DESC
        """;

    /// <summary>Per patient among <paramref name="events"/>: each lab's latest value, unit and time, as one JSON object.</summary>
    private static string LatestLabs(string events) => $"""
        SELECT l.patient_id, jsonb_object_agg(l.lab_code, jsonb_build_object('value', l.lab_value, 'unit', l.lab_unit, 'at', l.event_date)) AS latest_labs
        FROM (
            SELECT DISTINCT ON (f.patient_id, f.lab_code) f.patient_id, f.lab_code, f.lab_value, f.lab_unit, f.event_date
            FROM {events} f
            WHERE f.event_type = 'lab_result' AND f.lab_code IS NOT NULL
            ORDER BY f.patient_id, f.lab_code, f.event_date DESC, f.event_id DESC
        ) l
        GROUP BY l.patient_id
        """;

    /// <summary>Per patient among <paramref name="claims"/> (claim facts, or silver's claims): counts, totals and first and last date.</summary>
    private static string ClaimTotals(string claims) => $"""
        SELECT f.patient_id, count(*) AS claims, {ClaimFacts.SumOfAmounts("f.claim_amount")} AS claims_total,
            {ClaimFacts.SumOfAmounts("f.claim_amount", where: "f.claim_status = 'approved'")} AS approved_total,
            {ClaimFacts.SumOfAmounts("f.claim_amount", where: "f.claim_status = 'paid'")} AS paid_total,
            count(*) FILTER (WHERE f.claim_status = 'denied') AS denied_claims,
            min(f.claim_date) AS first_claim_date, max(f.claim_date) AS last_claim_date
        FROM {claims} f
        GROUP BY f.patient_id
        """;

    /// <summary>
    /// The patient 360 rows of the current patients among <paramref name="patients"/> (alias d, the dimension), with their
    /// event summaries: <see cref="EventTotals"/>, <see cref="LastAdmissions"/> and <see cref="LatestLabs"/>, as relations.
    /// </summary>
    private static string Rows(string patients, string totals, string lastAdmissions, string latestLabs) => $"""
        SELECT d.patient_id, d.patient_sk, d.age_years, d.age_band, d.sex, d.region, d.zip3, d.insurance_plan, d.bmi, d.smoker,
            coalesce(e.events, 0), coalesce(e.admissions, 0), coalesce(e.lab_results, 0), coalesce(e.stay_days, 0),
            la.event_date, la.medical_provider, coalesce(lb.latest_labs, jsonb_build_object())
        FROM {patients}
        LEFT JOIN {totals} e ON e.patient_id = d.patient_id
        LEFT JOIN {lastAdmissions} la ON la.patient_id = d.patient_id
        LEFT JOIN {latestLabs} lb ON lb.patient_id = d.patient_id
        WHERE d.is_current
        """;

    /// <summary>
    /// The patient claims rows of the patients in <paramref name="patients"/> (patient 360 rows: a batch's just made,
    /// <c>gold_p360_rows</c>, or a rebuild's mart), whose stratum columns they take, with their
    /// <see cref="ClaimTotals"/> (<paramref name="totals"/>, a relation) and the risk category these give.
    /// </summary>
    private static string ClaimRows(string patients, string totals) => $"""
        SELECT p.patient_id, {RiskCategory("p.", "coalesce(c.claims_total, 0)")}, p.region, p.insurance_plan, p.age_band, p.age_years, p.bmi,
            p.smoker, p.admissions, coalesce(c.claims, 0), coalesce(c.claims_total, 0), coalesce(c.approved_total, 0), coalesce(c.paid_total, 0),
            coalesce(c.denied_claims, 0), c.first_claim_date, c.last_claim_date
        FROM {patients} p
        LEFT JOIN {totals} c ON c.patient_id = p.patient_id
        """;

    /// <summary>
    /// A rebuild's summaries per patient of silver's events (as their facts') and claims, into temporary tables: they need
    /// no patient version, so the patient marts' step makes them while the dimension is still being built.
    /// </summary>
    private static readonly string SummarizeSql = $"""
        CREATE TEMP TABLE gold_p360_totals ON COMMIT DROP AS {EventTotals(MedicalEventFacts.SilverAsFacts)};
        CREATE TEMP TABLE gold_p360_last_admissions ON COMMIT DROP AS {LastAdmissions(MedicalEventFacts.SilverAsFacts)};
        CREATE TEMP TABLE gold_p360_latest_labs ON COMMIT DROP AS {LatestLabs(MedicalEventFacts.SilverAsFacts)};
        CREATE TEMP TABLE gold_patient_claim_totals ON COMMIT DROP AS {ClaimTotals("silver.claims")};
        ANALYZE gold_p360_totals, gold_p360_last_admissions, gold_p360_latest_labs, gold_patient_claim_totals;
        """;

    /// <summary>
    /// A rebuild's patient marts, from the current versions and the summaries: patient 360, then the patient claims from
    /// its rows (as a batch makes them), and the risk strata they add up to.
    /// </summary>
    private static readonly string RebuildSql = $"""
        INSERT INTO gold.mart_patient_360 ({string.Join(", ", Columns)})
        {Rows("gold.dim_patients d", "gold_p360_totals", "gold_p360_last_admissions", "gold_p360_latest_labs")};
        INSERT INTO gold.mart_patient_claims ({string.Join(", ", ClaimColumns)})
        {ClaimRows("gold.mart_patient_360", "gold_patient_claim_totals")};
        CREATE TEMP VIEW gold_patient_claims_delta AS SELECT 1 AS sign, m.* FROM gold.mart_patient_claims m;
        {StratificationSql}
        """;

    private static readonly SignedDelta Patient360 = new("p360", "gold.mart_patient_360", "patient_id", Columns);

    private static readonly SignedDelta PatientClaims = new("patient_claims", "gold.mart_patient_claims", "patient_id", ClaimColumns);

    /// <summary>
    /// The patient's risk category: silver's rule (<c>silver.risk_category</c>, by which silver rates each patient from its
    /// golden record and its claims) applied to the current version's age, BMI and smoking (alias) and its claims total.
    /// Gold's current version is silver's golden record and its facts are silver's claims, so it gives silver's category
    /// without reading a wide silver row per patient.
    /// </summary>
    private static string RiskCategory(string alias, string claimsTotal) =>
        $"silver.risk_category({alias}age_years, {alias}bmi, {alias}smoker, {claimsTotal})";

    /// <summary>
    /// The columns of patient claims moved by <c>gold_p360_claim_moves</c> (alias c), as the update's SET computes them
    /// from the row it changes (alias t, whose columns there are the row as it was).
    /// </summary>
    private static readonly Dictionary<string, string> MovedClaimColumns = new()
    {
        ["risk_category"] = RiskCategory("t.", "t.claims_total + c.claims_total"),
        ["claims"] = "t.claims + c.claims",
        ["claims_total"] = "t.claims_total + c.claims_total",
        ["approved_total"] = "t.approved_total + c.approved_total",
        ["paid_total"] = "t.paid_total + c.paid_total",
        ["denied_claims"] = "t.denied_claims + c.denied_claims",
        ["first_claim_date"] = """
            CASE WHEN c.lost_a_date THEN (SELECT min(f.claim_date) FROM gold.fact_claims f WHERE f.patient_id = t.patient_id)
                 ELSE least(t.first_claim_date, c.first_new_date) END
            """,
        ["last_claim_date"] = """
            CASE WHEN c.lost_a_date THEN (SELECT max(f.claim_date) FROM gold.fact_claims f WHERE f.patient_id = t.patient_id)
                 ELSE greatest(t.last_claim_date, c.last_new_date) END
            """,
    };

    private static readonly string Patient360Sql = $"""
        -- Patients whose row is recomputed from their facts: their versions or their events changed (or, found below, they
        -- have no row yet).
        CREATE TEMP TABLE gold_p360_recompute ON COMMIT DROP AS
        SELECT patient_id FROM gold_affected
        UNION SELECT patient_id FROM gold_event_delta;
        ANALYZE gold_p360_recompute;

        -- Patients whose claims alone changed (a claims batch): their claim columns move by the claims delta instead of
        -- re-reading all their facts. Counts and sums add up; the first and last claim dates can only widen, by the dates
        -- that gained claims, unless some date lost claims: only then are they read again (from the facts' index).
        CREATE TEMP TABLE gold_p360_claim_moves ON COMMIT DROP AS
        SELECT totals.*, dates.lost_a_date, dates.first_new_date, dates.last_new_date
        FROM (
            SELECT d.patient_id, sum(d.sign) AS claims, {ClaimFacts.SumOfAmounts("d.claim_amount", "d.sign")} AS claims_total,
                {ClaimFacts.SumOfAmounts("d.claim_amount", "d.sign", "d.claim_status = 'approved'")} AS approved_total,
                {ClaimFacts.SumOfAmounts("d.claim_amount", "d.sign", "d.claim_status = 'paid'")} AS paid_total,
                coalesce(sum(d.sign) FILTER (WHERE d.claim_status = 'denied'), 0) AS denied_claims
            FROM gold_claim_delta d
            WHERE NOT EXISTS (SELECT 1 FROM gold_p360_recompute r WHERE r.patient_id = d.patient_id)
            GROUP BY d.patient_id
        ) totals
        JOIN (
            -- Per date, the net number of claims gained: a date below zero lost claims.
            SELECT patient_id, bool_or(net < 0) AS lost_a_date,
                min(claim_date) FILTER (WHERE net > 0) AS first_new_date, max(claim_date) FILTER (WHERE net > 0) AS last_new_date
            FROM (SELECT patient_id, claim_date, sum(sign) AS net FROM gold_claim_delta GROUP BY patient_id, claim_date) per_date
            GROUP BY patient_id
        ) dates ON dates.patient_id = totals.patient_id
        ORDER BY totals.patient_id; -- the order of the patient claims rows, whose key the update below probes

        -- Their claims rows move in place: only their claim columns and risk category change. RETURNING gives the row as it
        -- is now; the strata's delta also needs it as it was, which is the move taken back: the sums less the move and the
        -- risk category of the total before it (the row's category is always its own columns' and total's).
        CREATE TEMP TABLE gold_p360_moved ON COMMIT DROP AS
        SELECT 0 AS sign, patient_id, {StrataColumns("")}, {StratifiedClaimColumns("")} FROM gold.mart_patient_claims WHERE false;
        {KeyProbes.Around($"""
            WITH moved AS (
                UPDATE gold.mart_patient_claims t SET ({MovedClaimList("")}) = ({MovedClaimValues})
                FROM gold_p360_claim_moves c
                WHERE t.patient_id = c.patient_id AND ({MovedClaimList("t.")}) IS DISTINCT FROM ({MovedClaimValues})
                RETURNING t.patient_id, {StrataColumns("t.")}, t.age_years, t.bmi, {StratifiedClaimColumns("t.")},
                    c.claims AS moved_claims, c.claims_total AS moved_total
            )
            INSERT INTO gold_p360_moved
            SELECT -1, patient_id, {StrataColumns("")}, {RiskCategory("", "claims_total - moved_total")}, claims - moved_claims, claims_total - moved_total
            FROM moved
            UNION ALL
            SELECT 1, patient_id, {StrataColumns("")}, {StratifiedClaimColumns("")} FROM moved;
            """)}

        -- A patient whose row did not move is recomputed instead: it has no row yet (or, rarely, its claims changed none of
        -- the moved columns, and recomputing its row changes nothing).
        INSERT INTO gold_p360_recompute
        SELECT c.patient_id FROM gold_p360_claim_moves c
        WHERE NOT EXISTS (SELECT 1 FROM gold_p360_moved m WHERE m.patient_id = c.patient_id);
        ANALYZE gold_p360_recompute;

        CREATE TEMP TABLE gold_p360_claims ON COMMIT DROP AS
        SELECT f.* FROM gold.fact_claims f JOIN gold_p360_recompute p ON p.patient_id = f.patient_id;
        CREATE TEMP TABLE gold_p360_events ON COMMIT DROP AS
        SELECT f.* FROM gold.fact_medical_events f JOIN gold_p360_recompute p ON p.patient_id = f.patient_id;
        ANALYZE gold_p360_claims, gold_p360_events;

        CREATE TEMP TABLE gold_p360_rows (LIKE gold.mart_patient_360) ON COMMIT DROP;
        INSERT INTO gold_p360_rows ({string.Join(", ", Columns)})
        {Rows("gold_p360_recompute p JOIN gold.dim_patients d ON d.patient_id = p.patient_id",
            $"({EventTotals("gold_p360_events")})", $"({LastAdmissions("gold_p360_events")})", $"({LatestLabs("gold_p360_events")})")};
        CREATE TEMP TABLE gold_patient_claims_rows (LIKE gold.mart_patient_claims) ON COMMIT DROP;
        INSERT INTO gold_patient_claims_rows ({string.Join(", ", ClaimColumns)})
        {ClaimRows("gold_p360_rows", $"({ClaimTotals("gold_p360_claims")})")};

        -- Rows of patients recomputed that are no longer current leave.
        {Patient360.DeltaSql(Recomputed)}
        {Patient360.ApplySql}
        {PatientClaims.DeltaSql(Recomputed)}
        {PatientClaims.ApplySql}

        -- The moved rows join the delta (their rows changed above).
        INSERT INTO gold_patient_claims_delta (sign, patient_id, {StrataColumns("")}, {StratifiedClaimColumns("")})
        SELECT * FROM gold_p360_moved;

        {StratificationSql}
        """;

    private const string Recomputed = "t.patient_id IN (SELECT patient_id FROM gold_p360_recompute)";

    /// <summary>The columns of patient claims that place a patient in the risk strata and that a claims delta leaves alone.</summary>
    private static string StrataColumns(string alias) => string.Join(", ", new[] { "region", "insurance_plan", "age_band", "smoker", "admissions" }.Select(c => alias + c));

    /// <summary>The moved claim columns the strata add up (the risk category places the row, claims and their total are summed).</summary>
    private static string StratifiedClaimColumns(string alias) =>
        string.Join(", ", new[] { "risk_category", "claims", "claims_total" }.Select(c => alias + c));

    /// <summary>The moved columns' new values, in <see cref="MovedClaimList"/>'s order.</summary>
    private static string MovedClaimValues => string.Join(", ", MovedClaimColumns.Values);

    private static string MovedClaimList(string alias) => string.Join(", ", MovedClaimColumns.Keys.Select(c => alias + c));

    /// <summary>The risk strata moved by the patient claims' delta (a property: the statements above embed it as they are initialized).</summary>
    private static string StratificationSql => $"""
        INSERT INTO gold.mart_risk_stratification AS m (risk_category, region, insurance_plan, age_band, patients, smokers, claims, claims_total, admissions)
        SELECT risk_category, region, insurance_plan, age_band, sum(sign), coalesce(sum(sign) FILTER (WHERE smoker), 0),
            sum(sign * claims), {ClaimFacts.SumOfTotals("claims_total", "sign")}, sum(sign * admissions)
        FROM gold_patient_claims_delta
        GROUP BY risk_category, region, insurance_plan, age_band
        ON CONFLICT (risk_category, region, insurance_plan, age_band) DO UPDATE
        SET patients = m.patients + excluded.patients, smokers = m.smokers + excluded.smokers, claims = m.claims + excluded.claims,
            claims_total = m.claims_total + excluded.claims_total, admissions = m.admissions + excluded.admissions;
        DELETE FROM gold.mart_risk_stratification WHERE patients = 0;
        """;

    /// <summary>
    /// What the quality monitor checks of gold, counted over the current patient versions and gold's own columns: Safe
    /// Harbor ages (89 and over reported as 90), ZIP3 (three digits, 000 for the restricted prefixes) and no column that
    /// could hold a direct identifier.
    /// </summary>
    private const string HipaaSql = """
        DELETE FROM gold.mart_hipaa_compliance;
        INSERT INTO gold.mart_hipaa_compliance (check_name, description, checked, violations)
        SELECT 'ages_deidentified', 'Current patient versions with an age: none may be 89 or over 90 (Safe Harbor reports 89+ as 90)',
            count(age_years), count(*) FILTER (WHERE age_years = 89 OR age_years > 90)
        FROM gold.dim_patients WHERE is_current
        UNION ALL
        SELECT 'zip3_suppressed', 'Current patient versions with a ZIP3: three digits, never one of the 17 restricted prefixes (000 instead)',
            count(zip3), count(*) FILTER (WHERE zip3 !~ '^[0-9]{3}$' OR zip3 IN ('036', '059', '063', '102', '203', '556', '692', '790', '821',
                                                                        '823', '830', '831', '878', '879', '884', '890', '893'))
        FROM gold.dim_patients WHERE is_current
        UNION ALL
        SELECT 'pii_columns_absent', 'Columns of gold tables: none may be a direct identifier (name, birth date, address, phone, e-mail, SSN, MRN)',
            count(*), count(*) FILTER (WHERE column_name IN ('first_name', 'last_name', 'date_of_birth', 'address_line1', 'city', 'state',
                'zip_code', 'phone', 'email', 'ssn', 'ssn_hash', 'mrn'))
        FROM information_schema.columns WHERE table_schema = 'gold';
        """;

    /// <summary>
    /// Refreshes the patient marts for a batch's patients (the HIPAA checks when the dimension changed); returns how many
    /// patients' rows changed. A rebuild makes them in a step of its own: <see cref="SummarizeAsync"/>, then
    /// <see cref="RebuildAsync"/>.
    /// </summary>
    public static async Task<long> RefreshAsync(GoldSql sql, bool dimensionChanged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        await sql.ExecuteAsync(Patient360Sql, cancellationToken);
        if (dimensionChanged)
        {
            await sql.ExecuteAsync(HipaaSql, cancellationToken);
        }

        return await sql.CountAsync(
            "SELECT count(*) FROM (SELECT patient_id FROM gold_p360_delta UNION SELECT patient_id FROM gold_patient_claims_delta) p",
            cancellationToken);
    }

    /// <summary>The first half of a rebuild's patient marts: the summaries of silver's events and claims, which need no patient version.</summary>
    public static Task<long> SummarizeAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync(SummarizeSql, cancellationToken);
    }

    /// <summary>
    /// A rebuild's patient marts (patient 360, patient claims, risk strata, HIPAA checks), in their own step beside the
    /// facts, once the dimension has committed, from what <see cref="SummarizeAsync"/> made; returns how many patients
    /// have rows (a rebuild's delta is every row, one per patient).
    /// </summary>
    public static async Task<long> RebuildAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        await sql.ExecuteAsync(RebuildSql, cancellationToken);
        await sql.ExecuteAsync(HipaaSql, cancellationToken);
        return await sql.CountAsync("SELECT count(*) FROM gold.mart_patient_claims", cancellationToken);
    }
}
