using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.GoldModeling.Queries;

/// <summary>
/// The marts answered by PostgreSQL from the gold tables. Every value is a bound parameter; only the conditions for the
/// filters actually given are added, so each query is a plain range or equality scan of a small mart table (patient
/// 360 and the top-N read the 1-row-per-patient marts through their indexes, and count their total from the risk strata).
/// </summary>
public sealed class PostgresGoldQueryEngine(NpgsqlDataSource dataSource) : IGoldQueryEngine
{
    private const string DenialRate = "round(sum(denied_claims)::numeric / nullif(sum(claims), 0), 4)";

    private static readonly Dictionary<string, Func<MartRequest, string>> Queries = new()
    {
        ["patient-risk-distribution"] = r => $"""
            SELECT risk_category, sum(patients) AS patients,
                round(sum(patients)::numeric / nullif(sum(sum(patients)) OVER (), 0), 4) AS share,
                sum(claims_total) AS claims_total, round(sum(claims_total) / nullif(sum(patients), 0), 2) AS average_claims_total
            FROM gold.mart_risk_stratification {Where(r, null)}
            GROUP BY risk_category
            ORDER BY array_position(ARRAY['LOW', 'MEDIUM', 'HIGH'], risk_category)
            """,
        ["patient-risk-stratification"] = r => $"""
            SELECT risk_category, region, insurance_plan, age_band, patients, smokers, claims, claims_total, admissions
            FROM gold.mart_risk_stratification {Where(r, null)}
            ORDER BY array_position(ARRAY['LOW', 'MEDIUM', 'HIGH'], risk_category), region, insurance_plan, age_band
            """,
        ["claims-cost"] = r => $"""
            SELECT diagnosis_chapter, procedure_code, claim_status, insurance_plan, sum(claims) AS claims, sum(total_amount) AS total_amount,
                round(sum(total_amount) / sum(claims), 2) AS average_amount
            FROM gold.mart_claims_cost {Where(r, "claim_year")}
            GROUP BY diagnosis_chapter, procedure_code, claim_status, insurance_plan
            ORDER BY total_amount DESC, diagnosis_chapter, procedure_code, claim_status, insurance_plan
            """,
        ["monthly-financials"] = r => $"""
            SELECT claim_month, sum(claims) AS claims, sum(claimed_amount) AS claimed_amount, sum(approved_amount) AS approved_amount,
                sum(denied_amount) AS denied_amount, sum(paid_amount) AS paid_amount, sum(denied_claims) AS denied_claims, {DenialRate} AS denial_rate
            FROM gold.mart_monthly_financials {Where(r, "claim_month")}
            GROUP BY claim_month
            ORDER BY claim_month
            """,
        ["utilization"] = r => $"""
            SELECT event_month, region, age_band, sum(events) AS events, sum(admissions) AS admissions, sum(stays) AS stays,
                round(sum(stay_days) / nullif(sum(stays), 0), 2) AS average_length_of_stay, sum(lab_results) AS lab_results,
                sum(vital_signs) AS vital_signs
            FROM gold.mart_utilization {Where(r, "event_month")}
            GROUP BY event_month, region, age_band
            ORDER BY event_month, region, age_band
            """,
        ["provider-performance"] = r => """
            SELECT medical_provider, events, patients, admissions, stays, round(stay_days / nullif(stays, 0), 2) AS average_length_of_stay
            FROM gold.mart_provider_performance
            ORDER BY events DESC, medical_provider
            """,
        ["hipaa-compliance"] = r => """
            SELECT check_name, description, checked, violations, violations = 0 AS passed
            FROM gold.mart_hipaa_compliance
            ORDER BY check_name
            """,
        ["executive-kpis"] = r => $"""
            SELECT f.claims, f.claimed_amount, f.approved_amount, f.denied_amount, f.paid_amount, f.denial_rate,
                u.admissions, u.average_length_of_stay, u.lab_results, p.patients, p.high_risk_share
            FROM (SELECT coalesce(sum(claims), 0) AS claims, coalesce(sum(claimed_amount), 0) AS claimed_amount,
                         coalesce(sum(approved_amount), 0) AS approved_amount, coalesce(sum(denied_amount), 0) AS denied_amount,
                         coalesce(sum(paid_amount), 0) AS paid_amount, {DenialRate} AS denial_rate
                  FROM gold.mart_monthly_financials {Where(r, "claim_month")}) f,
                 (SELECT coalesce(sum(admissions), 0) AS admissions, round(sum(stay_days) / nullif(sum(stays), 0), 2) AS average_length_of_stay,
                         coalesce(sum(lab_results), 0) AS lab_results
                  FROM gold.mart_utilization {Where(r, "event_month")}) u,
                 (SELECT coalesce(sum(patients), 0) AS patients,
                         round(sum(patients) FILTER (WHERE risk_category = 'HIGH')::numeric / nullif(sum(patients), 0), 4) AS high_risk_share
                  FROM gold.mart_risk_stratification {Where(r, null)}) p
            """,
        // The claims total's band orders as the total does, and is what the index holds (Schema/004_patient_claims_cost_band.sql, 006_cost_band_float.sql).
        ["top-expensive-patients"] = r => $"""
            SELECT patient_id, claims_total, claims, risk_category, region, insurance_plan, age_band
            FROM gold.mart_patient_claims {Where(r, null)}
            ORDER BY cost_band DESC, claims_total DESC, patient_id
            """,
        ["revenue-by-age-group"] = r => $"""
            SELECT age_band, sum(claims) AS claims, sum(claimed_amount) AS claimed_amount, sum(approved_amount) AS approved_amount,
                sum(paid_amount) AS paid_amount
            FROM gold.mart_monthly_financials {Where(r, "claim_month")}
            GROUP BY age_band
            ORDER BY array_position(ARRAY['0-17', '18-34', '35-49', '50-64', '65-74', '75+', 'unknown'], age_band)
            """,
        ["region-cost-summary"] = r => $"""
            SELECT region, sum(claims) AS claims, sum(claimed_amount) AS claimed_amount, sum(paid_amount) AS paid_amount,
                round(sum(claimed_amount) / nullif(sum(claims), 0), 2) AS average_claim
            FROM gold.mart_monthly_financials {Where(r, "claim_month")}
            GROUP BY region
            ORDER BY region
            """,
        ["insurance-plan-summary"] = r => $"""
            SELECT insurance_plan, sum(claims) AS claims, sum(claimed_amount) AS claimed_amount, sum(approved_amount) AS approved_amount,
                sum(paid_amount) AS paid_amount, {DenialRate} AS denial_rate
            FROM gold.mart_monthly_financials {Where(r, "claim_month")}
            GROUP BY insurance_plan
            ORDER BY insurance_plan
            """,
        ["weekly-event-trends"] = r => $"""
            SELECT event_week, event_type, events
            FROM gold.mart_weekly_events {Where(r, "event_week")}
            ORDER BY event_week, event_type
            """,
    };

    /// <summary>
    /// Patient 360, a page at a time in patient id order, with its patients' claims rows (by key) and the claims of the 12
    /// months before today from the facts' (patient, date) index.
    /// </summary>
    private static string Patient360(MartRequest r) => $"""
        SELECT p.patient_id, p.age_years, p.age_band, p.sex, p.region, p.zip3, p.insurance_plan, p.bmi, p.smoker, c.risk_category,
            c.claims, c.claims_total, c.approved_total, c.paid_total, c.denied_claims, c.first_claim_date, c.last_claim_date,
            recent.claims AS claims_last_12_months, recent.claims_total AS claims_total_last_12_months,
            p.events, p.admissions, p.lab_results, p.stay_days, p.last_admission_at, p.last_admission_provider, p.latest_labs
        FROM (SELECT * FROM gold.mart_patient_360 {Where(r, null)} ORDER BY patient_id LIMIT @limit OFFSET @offset) p
        JOIN gold.mart_patient_claims c ON c.patient_id = p.patient_id
        CROSS JOIN LATERAL (
            SELECT count(*) AS claims, coalesce(sum(f.claim_amount), 0) AS claims_total
            FROM gold.fact_claims f
            WHERE f.patient_id = p.patient_id AND f.claim_date > (now() AT TIME ZONE 'UTC')::date - interval '12 months'
        ) recent
        ORDER BY p.patient_id
        """;

    public string Name => "postgresql";

    public async Task<MartPage> QueryAsync(MartDescription mart, MartRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mart);
        ArgumentNullException.ThrowIfNull(request);
        // The per-patient marts' totals would cost a count over a million rows: the risk strata hold them exactly. Unfiltered
        // claims cost reads the all-years table through its amount index.
        var strataTotal = $"SELECT coalesce(sum(patients), 0) FROM gold.mart_risk_stratification {Where(request, null)}";
        var (rowsSql, totalSql) = mart.Name switch
        {
            "patient-360" => (Patient360(request), strataTotal),
            "top-expensive-patients" => (Queries[mart.Name](request) + " LIMIT @limit OFFSET @offset", strataTotal),
            "claims-cost" when request.From is null && request.To is null => ($"""
                SELECT diagnosis_chapter, procedure_code, claim_status, insurance_plan, claims, total_amount,
                    round(total_amount / claims, 2) AS average_amount
                FROM gold.mart_claims_cost_all_years {Where(request, null)}
                ORDER BY total_amount DESC, diagnosis_chapter, procedure_code, claim_status, insurance_plan
                LIMIT @limit OFFSET @offset
                """, $"SELECT count(*) FROM gold.mart_claims_cost_all_years {Where(request, null)}"),
            _ => ($"SELECT q.*, count(*) OVER () AS total_rows FROM ({Queries[mart.Name](request)}) q LIMIT @limit OFFSET @offset", null),
        };
        var sql = totalSql is null ? rowsSql : rowsSql + ";\n" + totalSql;

        await using var command = dataSource.CreateCommand(sql);
        Bind(command, request);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new Dictionary<string, object?>(reader.FieldCount);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = reader.GetName(i);
                if (name == "total_rows")
                {
                    total = reader.GetInt64(i);
                    continue;
                }

                row[name] = Value(reader, i);
            }

            rows.Add(row);
        }

        if (totalSql is not null && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
        {
            total = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
        }

        return new MartPage(mart.Name, request.Page, request.PageSize, total, rows);
    }

    /// <summary>The conditions for the filters given; <paramref name="dateColumn"/> is the mart's month (or week) column.</summary>
    private static string Where(MartRequest request, string? dateColumn)
    {
        var conditions = new List<string>();
        // A month, week or year mart takes the periods that overlap the range.
        if (dateColumn == "claim_year")
        {
            conditions.AddRange(request.From is null ? [] : ["claim_year >= extract(year FROM @from::date)"]);
            conditions.AddRange(request.To is null ? [] : ["claim_year <= extract(year FROM @to::date)"]);
        }
        else if (dateColumn is not null)
        {
            var period = dateColumn == "event_week" ? "week" : "month";
            conditions.AddRange(request.From is null ? [] : [$"{dateColumn} >= date_trunc('{period}', @from::date)::date"]);
            conditions.AddRange(request.To is null ? [] : [$"{dateColumn} <= @to::date"]);
        }

        if (request.Region is not null)
        {
            conditions.Add("region = @region");
        }

        if (request.Plan is not null)
        {
            conditions.Add("insurance_plan = @plan");
        }

        if (request.AgeBand is not null)
        {
            conditions.Add("age_band = @age_band");
        }

        return conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
    }

    private static void Bind(NpgsqlCommand command, MartRequest request)
    {
        command.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Date) { Value = (object?)request.From ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("to", NpgsqlDbType.Date) { Value = (object?)request.To ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("region", NpgsqlDbType.Text) { Value = (object?)request.Region ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("plan", NpgsqlDbType.Text) { Value = (object?)request.Plan ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("age_band", NpgsqlDbType.Text) { Value = (object?)request.AgeBand ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = request.PageSize });
        command.Parameters.Add(new NpgsqlParameter("offset", NpgsqlDbType.Integer) { Value = request.Offset });
    }

    private static object? Value(NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        return reader.GetDataTypeName(ordinal) switch
        {
            "date" => reader.GetFieldValue<DateOnly>(ordinal),
            "jsonb" => reader.GetFieldValue<JsonElement>(ordinal),
            _ => reader.GetValue(ordinal),
        };
    }
}
