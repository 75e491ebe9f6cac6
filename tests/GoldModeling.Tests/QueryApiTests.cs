using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HealthMedallion.GoldModeling.Queries;
using HealthMedallion.GoldModeling.Tests.Support;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>The dashboard query API over the default data set: every mart answers, bad parameters get a 400 naming them, pages add up.</summary>
public sealed class QueryApiTests(DefaultDataSet data) : IClassFixture<DefaultDataSet>
{
    private readonly GoldPipeline _pipeline = data.Pipeline;

    public static TheoryData<string> MartNames => [.. MartCatalog.All.Select(m => m.Name)];

    [Theory]
    [MemberData(nameof(MartNames))]
    public async Task EveryMart_Answers_WithRows(string mart)
    {
        using var client = _pipeline.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/gold/marts/{mart}", UriKind.Relative));

        Assert.Equal(mart, page.GetProperty("mart").GetString());
        Assert.True(page.GetProperty("rows").GetArrayLength() > 0, $"{mart} should have rows: {page}");
        Assert.True(page.GetProperty("total").GetInt64() >= page.GetProperty("rows").GetArrayLength());
    }

    [Theory]
    [InlineData("monthly-financials?from=2024-13-01", "from")]
    [InlineData("monthly-financials?to=yesterday", "to")]
    [InlineData("monthly-financials?from=2024-05-01&to=2024-01-01", "to")]
    [InlineData("utilization?region=MARS", "region")]
    [InlineData("utilization?ageBand=90-100", "ageBand")]
    [InlineData("insurance-plan-summary?region=NORTHEAST&plan=x%27%3B%20DROP%20TABLE%20gold.fact_claims%3B--", "plan")]
    [InlineData("claims-cost?page=0", "page")]
    [InlineData("claims-cost?pageSize=5000", "pageSize")]
    [InlineData("claims-cost?pageSize=ten", "pageSize")]
    [InlineData("provider-performance?region=NORTHEAST", "region")]
    [InlineData("weekly-event-trends?plan=Gold", "plan")]
    [InlineData("patient-360?from=2024-01-01", "from")]
    public async Task BadParameter_Gets400ProblemDetails_NamingTheField(string query, string field)
    {
        using var client = _pipeline.CreateClient();

        using var response = await client.GetAsync(new Uri($"/api/gold/marts/{query}", UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the errors should name {field}: {problem}");
        Assert.True(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_claims") > 0, "nothing the request said may reach the database");
    }

    [Fact]
    public async Task UnknownMart_IsNotFound()
    {
        using var client = _pipeline.CreateClient();

        using var response = await client.GetAsync(new Uri("/api/gold/marts/everything", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Pages_AreConsecutiveSlicesOfTheWhole_AndTotalCountsItAll()
    {
        using var client = _pipeline.CreateClient();
        async Task<JsonElement> PageAsync(int page, int size) =>
            await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/gold/marts/utilization?page={page}&pageSize={size}", UriKind.Relative));

        var all = await PageAsync(1, 1000);
        var first = await PageAsync(1, 7);
        var second = await PageAsync(2, 7);
        var beyond = await PageAsync(1000, 7);

        var total = all.GetProperty("total").GetInt64();
        Assert.True(total > 14 && total <= 1000, $"the default data set should give a few hundred utilization rows, gave {total}");
        Assert.Equal(total, all.GetProperty("rows").GetArrayLength());
        Assert.Equal(total, first.GetProperty("total").GetInt64());
        Assert.Equal(
            all.GetProperty("rows").EnumerateArray().Take(14).Select(r => r.ToString()),
            first.GetProperty("rows").EnumerateArray().Concat(second.GetProperty("rows").EnumerateArray()).Select(r => r.ToString()));
        Assert.Equal(0, beyond.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public async Task Filters_SelectExactlyTheirSlice_OfTheFacts()
    {
        // Arrange: a region and a period that the data set has claims in.
        var (region, from, to) = (await _pipeline.QueryAsync("""
            SELECT region, min(claim_month)::text, (min(claim_month) + interval '11 months')::date::text
            FROM gold.fact_claims WHERE region <> 'UNKNOWN' GROUP BY region ORDER BY count(*) DESC LIMIT 1
            """, r => (r.GetString(0), r.GetString(1), r.GetString(2)))).Single();
        var expected = await _pipeline.ScalarAsync<decimal>($"""
            SELECT sum(claim_amount) FROM gold.fact_claims
            WHERE region = '{region}' AND claim_date >= '{from}' AND claim_date < ('{to}'::date + interval '1 month')
            """);
        using var client = _pipeline.CreateClient();

        // Act
        var page = await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/gold/marts/region-cost-summary?region={region.ToLowerInvariant()}&from={from}&to={to}", UriKind.Relative));

        // Assert: one row, the region's, its amount that of the facts to the cent.
        var row = Assert.Single(page.GetProperty("rows").EnumerateArray());
        Assert.Equal(region, row.GetProperty("region").GetString());
        Assert.Equal(expected, row.GetProperty("claimed_amount").GetDecimal());
    }

    [Fact]
    public async Task Patient360_ShowsDeidentifiedRows_ByPatientId_WithRecentClaimsWithinTheLifetime()
    {
        using var client = _pipeline.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/gold/marts/patient-360?pageSize=50&ageBand=50-64", UriKind.Relative));

        var rows = page.GetProperty("rows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.mart_patient_360 WHERE age_band = '50-64'"), page.GetProperty("total").GetInt64());
        Assert.All(rows, r =>
        {
            Assert.Equal("50-64", r.GetProperty("age_band").GetString());
            Assert.True(r.GetProperty("claims_total_last_12_months").GetDecimal() <= r.GetProperty("claims_total").GetDecimal());
            foreach (var pii in new[] { "first_name", "last_name", "date_of_birth", "phone", "email", "ssn_hash", "mrn", "address_line1" })
            {
                Assert.False(r.TryGetProperty(pii, out _), $"patient 360 must not show {pii}");
            }
        });
        Assert.Equal(rows.Select(r => r.GetProperty("patient_id").GetString()).Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("patient_id").GetString()));
    }

    [Fact]
    public async Task TopExpensivePatients_AreTheHighestClaimsTotals_InOrder()
    {
        using var client = _pipeline.CreateClient();
        var expected = await _pipeline.QueryAsync(
            "SELECT patient_id FROM gold.fact_claims GROUP BY patient_id ORDER BY sum(claim_amount) DESC, patient_id LIMIT 10", r => r.GetString(0));

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/gold/marts/top-expensive-patients?pageSize=10", UriKind.Relative));

        Assert.Equal(expected, page.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("patient_id").GetString()));
    }

    [Fact]
    public async Task ExecutiveKpis_AddUpTheFacts()
    {
        using var client = _pipeline.CreateClient();

        var page = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/gold/marts/executive-kpis", UriKind.Relative));

        var kpis = Assert.Single(page.GetProperty("rows").EnumerateArray());
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_claims"), kpis.GetProperty("claims").GetInt64());
        Assert.Equal(await _pipeline.ScalarAsync<decimal>("SELECT sum(claim_amount) FROM gold.fact_claims"), kpis.GetProperty("claimed_amount").GetDecimal());
        Assert.Equal(await _pipeline.ScalarAsync<decimal>("SELECT round(count(*) FILTER (WHERE claim_status = 'denied')::numeric / count(*), 4) FROM gold.fact_claims"),
            kpis.GetProperty("denial_rate").GetDecimal());
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.dim_patients WHERE is_current"), kpis.GetProperty("patients").GetInt64());
    }

    [Fact]
    public async Task ClaimsCost_AllYears_EqualsTheSumOfEveryYear()
    {
        using var client = _pipeline.CreateClient();
        async Task<Dictionary<string, decimal>> CostsAsync(string query) =>
            (await client.GetFromJsonAsync<JsonElement>(new Uri($"/api/gold/marts/claims-cost?pageSize=1000{query}", UriKind.Relative)))
                .GetProperty("rows").EnumerateArray()
                .ToDictionary(r => string.Join("|", r.GetProperty("diagnosis_chapter"), r.GetProperty("procedure_code"), r.GetProperty("claim_status"), r.GetProperty("insurance_plan")),
                    r => r.GetProperty("total_amount").GetDecimal());

        var allYears = await CostsAsync("");
        var everyYear = await CostsAsync("&from=1900-01-01&to=2199-12-31");

        Assert.NotEmpty(allYears);
        Assert.Equal(everyYear.OrderBy(p => p.Key, StringComparer.Ordinal), allYears.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
