using HealthMedallion.ServiceDefaults.Postgres;
using Npgsql;

namespace HealthMedallion.Refinement.Patients;

/// <summary>
/// Rebuilds <c>silver.patients</c>, one golden record per resolved patient, for the patients a transaction touched
/// (listed in the temporary table <c>affected_patients</c>). Survivorship: each attribute comes from the first source
/// record that has it, by source (EHR, then ADT, then LAB: the EHR is the system of record), then the latest source
/// update, then completeness (data-quality score), then match confidence; sex U counts as missing while another record
/// knows better. <c>attribute_sources</c> records which source system won each attribute. The data-quality score is the mean of
/// the records'; the risk category uses the patient's silver claims. Unchanged records are not rewritten.
/// </summary>
public static class PatientGoldenRecords
{
    private static readonly string[] Attributes =
        ["age_years", "region", "zip3", "bmi", "smoker", "children", "charges", "insurance_plan", "coverage_start_date", "ssn_hash"];

    private static readonly string[] Columns =
    [
        "age_years", "sex", "region", "zip3", "bmi", "smoker", "children", "charges", "insurance_plan", "coverage_start_date", "ssn_hash",
        "source_records", "source_systems", "patient_risk_category", "data_quality_score", "effective_date", "attribute_sources",
    ];

    private static readonly string RefreshSql = $"""
        ANALYZE affected_patients;
        DELETE FROM silver.patients p USING affected_patients a
        WHERE p.patient_id = a.patient_id
          AND NOT EXISTS (SELECT 1 FROM silver.patient_identity_map m WHERE m.patient_id = a.patient_id);

        INSERT INTO silver.patients AS p (patient_id, {string.Join(", ", Columns)})
        SELECT g.patient_id, g.age_years, g.sex, g.region, g.zip3, g.bmi, g.smoker, g.children, g.charges, g.insurance_plan,
            g.coverage_start_date, g.ssn_hash, g.source_records, g.source_systems,
            silver.risk_category(g.age_years, g.bmi, g.smoker, coalesce(c.total, 0)), g.data_quality_score, g.effective_date,
            g.attribute_sources
        FROM (
            -- One pass over each patient's records in survivorship's order: the aggregates take the rows in the sub-select's
            -- order, so the first row that has an attribute is the record it survives from.
            SELECT patient_id,
                {string.Join(",\n        ", Attributes.Select(a => $"(array_agg({a}) FILTER (WHERE {a} IS NOT NULL))[1] AS {a}"))},
                coalesce((array_agg(sex) FILTER (WHERE sex <> 'U'))[1], 'U') AS sex,
                count(*)::smallint AS source_records, array_agg(DISTINCT source_system) AS source_systems,
                round(avg(data_quality_score), 3) AS data_quality_score,
                coalesce(max(source_updated_at), max(processed_at)) AS effective_date,
                jsonb_strip_nulls(jsonb_build_object(
                    {string.Join(",\n            ", Attributes.Select(a => $"'{a}', (array_agg(source_system) FILTER (WHERE {a} IS NOT NULL))[1]"))},
                    'sex', coalesce((array_agg(source_system) FILTER (WHERE sex <> 'U'))[1], (array_agg(source_system))[1]))) AS attribute_sources
            FROM (
                SELECT m.patient_id, r.*
                FROM affected_patients a
                JOIN silver.patient_identity_map m ON m.patient_id = a.patient_id
                JOIN silver.patient_records r ON r.source_system = m.source_system AND r.source_patient_id = m.source_patient_id
                ORDER BY m.patient_id, {Precedence}
            ) r
            GROUP BY patient_id
        ) g
        LEFT JOIN (
            SELECT cl.patient_id, sum(cl.claim_amount) AS total
            FROM silver.claims cl JOIN affected_patients a ON a.patient_id = cl.patient_id
            GROUP BY cl.patient_id
        ) c ON c.patient_id = g.patient_id
        ON CONFLICT (patient_id) DO UPDATE
        SET {string.Join(", ", Columns.Select(c => $"{c} = excluded.{c}"))}, processed_at = now()
        WHERE ({string.Join(", ", Columns.Select(c => "p." + c))}) IS DISTINCT FROM ({string.Join(", ", Columns.Select(c => "excluded." + c))});
        """;

    /// <summary>
    /// Survivorship precedence: source priority (the EHR is the system of record), then recency, completeness and match
    /// confidence; the source record id settles a tie, so that the same records always give the same golden record.
    /// </summary>
    private const string Precedence =
        "CASE r.source_system WHEN 'EHR_SYSTEM' THEN 1 WHEN 'ADT_SYSTEM' THEN 2 ELSE 3 END, r.source_updated_at DESC NULLS LAST, "
        + "r.data_quality_score DESC, m.match_probability DESC, r.source_patient_id";

    /// <summary>The risk category of the patients in <c>affected_patients</c>, after their claims changed (the rest of their record did not).</summary>
    private static readonly string RefreshRiskSql = $"""
        ANALYZE affected_patients;
        {KeyProbes.Around("""
            UPDATE silver.patients p
            SET patient_risk_category = silver.risk_category(p.age_years, p.bmi, p.smoker, c.total), processed_at = now()
            FROM (
                SELECT cl.patient_id, sum(cl.claim_amount) AS total
                FROM affected_patients a JOIN silver.claims cl ON cl.patient_id = a.patient_id
                GROUP BY cl.patient_id
            ) c
            WHERE p.patient_id = c.patient_id AND p.patient_risk_category <> silver.risk_category(p.age_years, p.bmi, p.smoker, c.total);
            """)}
        """;

    /// <summary>Creates the (empty) <c>affected_patients</c> table of this transaction, unless it exists.</summary>
    public static async Task BeginAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(
            "CREATE TEMP TABLE IF NOT EXISTS affected_patients (patient_id text PRIMARY KEY) ON COMMIT DROP", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static Task RefreshAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, RefreshSql, cancellationToken);

    public static Task RefreshRiskAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ExecuteAsync(connection, RefreshRiskSql, cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
