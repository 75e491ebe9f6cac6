using HealthMedallion.GoldModeling.Tests.Support;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>
/// Every mart, kept incrementally batch by batch, equals the same aggregate computed directly over the facts (to the
/// cent), and the facts' totals equal silver's.
/// </summary>
public sealed class MartTests(DefaultDataSet data) : IClassFixture<DefaultDataSet>
{
    private readonly GoldPipeline _pipeline = data.Pipeline;

    /// <summary>Each mart's rows, and the same rows computed from the facts (or, for the risk strata, from patient claims).</summary>
    public static TheoryData<string, string, string> Marts => new()
    {
        {
            "claims cost",
            "SELECT claim_year, diagnosis_chapter, procedure_code, claim_status, insurance_plan, claims, total_amount FROM gold.mart_claims_cost",
            """
            SELECT claim_year, diagnosis_chapter, procedure_code, claim_status, insurance_plan, count(*), sum(claim_amount)
            FROM gold.fact_claims GROUP BY 1, 2, 3, 4, 5
            """
        },
        {
            "claims cost, all years",
            "SELECT diagnosis_chapter, procedure_code, claim_status, insurance_plan, claims, total_amount FROM gold.mart_claims_cost_all_years",
            """
            SELECT diagnosis_chapter, procedure_code, claim_status, insurance_plan, count(*), sum(claim_amount)
            FROM gold.fact_claims GROUP BY 1, 2, 3, 4
            """
        },
        {
            "monthly financials",
            """
            SELECT claim_month, region, insurance_plan, age_band, claims, claimed_amount, submitted_claims, approved_claims, denied_claims,
                   paid_claims, approved_amount, denied_amount, paid_amount
            FROM gold.mart_monthly_financials
            """,
            """
            SELECT claim_month, region, insurance_plan, age_band, count(*), sum(claim_amount),
                   count(*) FILTER (WHERE claim_status = 'submitted'), count(*) FILTER (WHERE claim_status = 'approved'),
                   count(*) FILTER (WHERE claim_status = 'denied'), count(*) FILTER (WHERE claim_status = 'paid'),
                   coalesce(sum(claim_amount) FILTER (WHERE claim_status = 'approved'), 0),
                   coalesce(sum(claim_amount) FILTER (WHERE claim_status = 'denied'), 0),
                   coalesce(sum(claim_amount) FILTER (WHERE claim_status = 'paid'), 0)
            FROM gold.fact_claims GROUP BY 1, 2, 3, 4
            """
        },
        {
            "utilization",
            "SELECT event_month, region, insurance_plan, age_band, events, admissions, discharges, transfers, lab_results, vital_signs, stays, stay_days FROM gold.mart_utilization",
            """
            SELECT event_month, region, insurance_plan, age_band, count(*), count(*) FILTER (WHERE event_type = 'admission'),
                   count(*) FILTER (WHERE event_type = 'discharge'), count(*) FILTER (WHERE event_type = 'transfer'),
                   count(*) FILTER (WHERE event_type = 'lab_result'), count(*) FILTER (WHERE event_type = 'vital_signs'),
                   count(length_of_stay_days), coalesce(sum(length_of_stay_days), 0)
            FROM gold.fact_medical_events GROUP BY 1, 2, 3, 4
            """
        },
        {
            "weekly event trends",
            "SELECT event_week, event_type, events FROM gold.mart_weekly_events",
            "SELECT date_trunc('week', event_date AT TIME ZONE 'UTC')::date, event_type, count(*) FROM gold.fact_medical_events GROUP BY 1, 2"
        },
        {
            "provider performance",
            "SELECT medical_provider, events, patients, admissions, stays, stay_days FROM gold.mart_provider_performance",
            """
            SELECT medical_provider, count(*), count(DISTINCT patient_id), count(*) FILTER (WHERE event_type = 'admission'),
                   count(length_of_stay_days), coalesce(sum(length_of_stay_days), 0)
            FROM gold.fact_medical_events GROUP BY 1
            """
        },
        {
            "patient 360",
            """
            SELECT patient_id, patient_sk, region, insurance_plan, events, admissions, lab_results, stay_days, last_admission_at
            FROM gold.mart_patient_360
            """,
            """
            SELECT d.patient_id, d.patient_sk, d.region, d.insurance_plan,
                   (SELECT count(*) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id),
                   (SELECT count(*) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id AND event_type = 'admission'),
                   (SELECT count(*) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id AND event_type = 'lab_result'),
                   (SELECT coalesce(sum(length_of_stay_days), 0) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id),
                   (SELECT max(event_date) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id AND event_type = 'admission')
            FROM gold.dim_patients d WHERE d.is_current
            """
        },
        {
            "patient claims",
            """
            SELECT patient_id, region, insurance_plan, age_band, smoker, admissions, claims, claims_total, approved_total, paid_total,
                   denied_claims, first_claim_date, last_claim_date
            FROM gold.mart_patient_claims
            """,
            """
            SELECT d.patient_id, d.region, d.insurance_plan, d.age_band, d.smoker,
                   (SELECT count(*) FROM gold.fact_medical_events e WHERE e.patient_id = d.patient_id AND event_type = 'admission'),
                   (SELECT count(*) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id),
                   (SELECT coalesce(sum(claim_amount), 0) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id),
                   (SELECT coalesce(sum(claim_amount), 0) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id AND claim_status = 'approved'),
                   (SELECT coalesce(sum(claim_amount), 0) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id AND claim_status = 'paid'),
                   (SELECT count(*) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id AND claim_status = 'denied'),
                   (SELECT min(claim_date) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id),
                   (SELECT max(claim_date) FROM gold.fact_claims f WHERE f.patient_id = d.patient_id)
            FROM gold.dim_patients d WHERE d.is_current
            """
        },
        {
            "risk stratification",
            "SELECT risk_category, region, insurance_plan, age_band, patients, smokers, claims, claims_total, admissions FROM gold.mart_risk_stratification",
            """
            SELECT risk_category, region, insurance_plan, age_band, count(*), count(*) FILTER (WHERE smoker), sum(claims), sum(claims_total), sum(admissions)
            FROM gold.mart_patient_claims GROUP BY 1, 2, 3, 4
            """
        },
    };

    [Theory]
    [MemberData(nameof(Marts))]
    public async Task Mart_EqualsTheSameAggregateOverTheFacts(string mart, string martSql, string directSql)
    {
        // Act: rows in one and not the other, both ways.
        var differences = await _pipeline.QueryAsync(
            $"(({martSql}) EXCEPT ALL ({directSql})) UNION ALL (({directSql}) EXCEPT ALL ({martSql})) LIMIT 5", r => r.GetValue(0).ToString());
        var rows = await _pipeline.ScalarAsync<long>($"SELECT count(*) FROM ({martSql}) m");

        // Assert
        Assert.True(rows > 0, $"the {mart} mart should have rows");
        Assert.True(differences.Count == 0, $"the {mart} mart differs from the facts, e.g. at {string.Join("; ", differences)}");
    }

    [Fact]
    public async Task Totals_MatchSilver_ToTheCent()
    {
        var silver = await _pipeline.ScalarAsync<decimal>("SELECT sum(claim_amount) FROM silver.claims");
        var facts = await _pipeline.ScalarAsync<decimal>("SELECT sum(claim_amount) FROM gold.fact_claims");
        var monthly = await _pipeline.ScalarAsync<decimal>("SELECT sum(claimed_amount) FROM gold.mart_monthly_financials");
        var cost = await _pipeline.ScalarAsync<decimal>("SELECT sum(total_amount) FROM gold.mart_claims_cost");
        var allYears = await _pipeline.ScalarAsync<decimal>("SELECT sum(total_amount) FROM gold.mart_claims_cost_all_years");
        var patients = await _pipeline.ScalarAsync<decimal>("SELECT sum(claims_total) FROM gold.mart_patient_claims");
        var strata = await _pipeline.ScalarAsync<decimal>("SELECT sum(claims_total) FROM gold.mart_risk_stratification");
        var stay = await _pipeline.ScalarAsync<decimal>("SELECT coalesce(sum(length_of_stay_days), 0) FROM silver.medical_events");

        Assert.True(silver > 0);
        Assert.Equal(silver, facts);
        Assert.Equal(silver, monthly);
        Assert.Equal(silver, cost);
        Assert.Equal(silver, allYears);
        Assert.Equal(silver, patients);
        Assert.Equal(silver, strata);
        Assert.Equal(stay, await _pipeline.ScalarAsync<decimal>("SELECT sum(stay_days) FROM gold.mart_utilization"));
    }

    [Fact]
    public async Task RiskCategory_IsSilversForEveryCurrentPatient()
    {
        var differing = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM gold.mart_patient_claims p JOIN silver.patients s USING (patient_id) WHERE p.risk_category <> s.patient_risk_category
            """);
        var patients = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.mart_patient_claims");

        Assert.Equal(0, differing);
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.patients"), patients);
    }

    [Fact]
    public async Task HipaaCompliance_CountsEveryCheck_AndFindsNoViolation()
    {
        var checks = await _pipeline.QueryAsync("SELECT check_name, checked, violations FROM gold.mart_hipaa_compliance ORDER BY 1",
            r => (Name: r.GetString(0), Checked: r.GetInt64(1), Violations: r.GetInt64(2)));
        var columns = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'gold'");

        Assert.Equal(["ages_deidentified", "pii_columns_absent", "zip3_suppressed"], checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.True(c.Checked > 0 && c.Violations == 0, $"{c.Name}: {c.Violations} of {c.Checked}"));
        Assert.Equal(columns, checks.Single(c => c.Name == "pii_columns_absent").Checked);
    }
}
