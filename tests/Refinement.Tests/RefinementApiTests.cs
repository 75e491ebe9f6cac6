using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Apis;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Claims;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.MedicalEvents;
using HealthMedallion.Refinement.Patients;
using HealthMedallion.Refinement.Tests.Support;
using Microsoft.AspNetCore.Mvc;

namespace HealthMedallion.Refinement.Tests;

/// <summary>The refinement API over a small data set refined by the real pipeline.</summary>
public sealed class RefinementApiTests(RefinementApiTests.LandedDataSet data) : IClassFixture<RefinementApiTests.LandedDataSet>
{
    private readonly HttpClient _client = data.Client;

    // ---- GET /api/refinement/batches ----

    [Fact]
    public async Task ListBatches_ListsOneEntryPerBronzeBatch_WithCountsThatAddUp()
    {
        // Arrange
        var bronze = await data.Pipeline.QueryAsync("SELECT batch_id, entity, rows FROM bronze.batches", r => (Id: r.GetGuid(0), Entity: r.GetString(1), Rows: r.GetInt64(2)));

        // Act
        using var listing = await GetJsonAsync("/api/refinement/batches?limit=1000");

        // Assert
        var batches = listing.RootElement.EnumerateArray().ToList();
        Assert.Equal(bronze.Select(b => b.Id).Order(), batches.Select(b => b.GetProperty("batchId").GetGuid()).Order());
        Assert.All(batches, b =>
        {
            var id = b.GetProperty("batchId").GetGuid();
            var source = bronze.Single(x => x.Id == id);
            Assert.Equal(source.Entity, b.GetProperty("entity").GetString());
            Assert.Equal(SilverBatch.Refined, b.GetProperty("status").GetString());
            Assert.Equal(source.Rows, Count(b, "bronzeRows"));
            Assert.Equal(Count(b, "bronzeRows"),
                Count(b, "rowsWritten") + Count(b, "rowsQuarantined") + Count(b, "rowsSuperseded") + Count(b, "rowsPending") + Count(b, "rowsRejected"));
            Assert.Equal(0, Count(b, "rowsRejected"));
            Assert.Empty(b.GetProperty("failedExpectations").EnumerateArray());
        });
        Assert.Contains(batches, b => Count(b, "rowsQuarantined") > 0);

        // Newest first.
        var refinedAt = batches.Select(b => b.GetProperty("refinedAt").GetDateTimeOffset()).ToList();
        Assert.Equal(refinedAt.OrderDescending(), refinedAt);
    }

    [Theory]
    [InlineData(Entities.Patients)]
    [InlineData(Entities.Claims)]
    [InlineData(Entities.MedicalEvents)]
    public async Task ListBatches_FilteredByEntity_ListsThatEntitysBatchesOnly(string entity)
    {
        // Arrange
        var expected = await data.Pipeline.QueryAsync($"SELECT batch_id FROM bronze.batches WHERE entity = '{entity}'", r => r.GetGuid(0));

        // Act
        var batches = await _client.GetFromJsonAsync<List<SilverBatch>>($"/api/refinement/batches?entity={entity}&limit=1000");

        // Assert
        Assert.NotEmpty(expected);
        Assert.All(batches!, b => Assert.Equal(entity, b.Entity));
        Assert.Equal(expected.Order(), batches!.Select(b => b.BatchId).Order());
    }

    [Fact]
    public async Task ListBatches_FilteredByStatusAndLimit_ListsTheNewestMatching()
    {
        // Act
        var all = await _client.GetFromJsonAsync<List<SilverBatch>>("/api/refinement/batches?limit=1000");
        var refined = await _client.GetFromJsonAsync<List<SilverBatch>>("/api/refinement/batches?status=refined&limit=1000");
        var failed = await _client.GetFromJsonAsync<List<SilverBatch>>("/api/refinement/batches?status=failed");
        var newestTwo = await _client.GetFromJsonAsync<List<SilverBatch>>("/api/refinement/batches?limit=2");

        // Assert
        Assert.True(all!.Count > 2, $"the data set should give more than two batches, got {all.Count}");
        Assert.Equal(all.Select(b => b.BatchId), refined!.Select(b => b.BatchId));
        Assert.Empty(failed!);
        Assert.Equal(all.Take(2).Select(b => b.BatchId), newestTwo!.Select(b => b.BatchId));
    }

    [Theory]
    [InlineData("entity=nope", "entity")]
    [InlineData("entity=Claims", "entity")]
    [InlineData("status=nope", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    public async Task ListBatches_InvalidParameter_Answers400NamingTheField(string query, string field)
    {
        // Act
        using var response = await _client.GetAsync($"/api/refinement/batches?{query}");

        // Assert
        await AssertValidationProblemAsync(response, field);
    }

    // ---- GET /api/refinement/batches/{id} ----

    [Fact]
    public async Task GetBatch_KnownId_ReturnsThatBatch()
    {
        // Arrange
        var listed = (await _client.GetFromJsonAsync<List<SilverBatch>>($"/api/refinement/batches?entity={Entities.Claims}"))!.First();

        // Act
        var batch = await _client.GetFromJsonAsync<SilverBatch>($"/api/refinement/batches/{listed.BatchId}");

        // Assert
        Assert.NotNull(batch);
        Assert.Equal(listed.BatchId, batch.BatchId);
        Assert.Equal(Entities.Claims, batch.Entity);
        Assert.Equal(listed.FileName, batch.FileName);
        Assert.Equal((listed.BronzeRows, listed.RowsWritten, listed.RowsQuarantined, listed.RowsSuperseded, listed.RowsPending),
            (batch.BronzeRows, batch.RowsWritten, batch.RowsQuarantined, batch.RowsSuperseded, batch.RowsPending));
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("6f1c2a0e-3b7d-4e59-9a8c-1d2e3f405162")]
    [InlineData("not-a-guid")]
    public async Task GetBatch_UnknownId_Answers404(string id)
    {
        // Act
        using var response = await _client.GetAsync($"/api/refinement/batches/{id}");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    // ---- GET /api/refinement/quarantine ----

    [Fact]
    public async Task ListQuarantine_Pages_AreConsistentAndCoverEveryRowOnce()
    {
        // Arrange
        var total = await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.quarantine");
        Assert.True(total > 10, $"the data set should quarantine more than ten rows, got {total}");
        const int pageSize = 7;
        var pages = (int)((total + pageSize - 1) / pageSize);

        // Act
        var seen = new List<(Guid Batch, long Row)>();
        for (var page = 1; page <= pages + 1; page++)
        {
            var result = await _client.GetFromJsonAsync<QuarantinePage>($"/api/refinement/quarantine?page={page}&pageSize={pageSize}");

            // Assert: every page says what was asked, counts the same total and is full but for the last.
            Assert.NotNull(result);
            Assert.Equal((total, page, pageSize), (result.Total, result.Page, result.PageSize));
            var expectedRows = page < pages ? pageSize : page == pages ? (int)(total - ((long)(pages - 1) * pageSize)) : 0;
            Assert.Equal(expectedRows, result.Rows.Count);
            seen.AddRange(result.Rows.Select(r => (r.BatchId, r.RowNumber)));
        }

        Assert.Equal(total, seen.Count);
        Assert.Equal(total, seen.Distinct().Count());
    }

    [Fact]
    public async Task ListQuarantine_DefaultPage_IsTheFirstHundred()
    {
        // Act
        var page = await _client.GetFromJsonAsync<QuarantinePage>("/api/refinement/quarantine");

        // Assert
        Assert.NotNull(page);
        Assert.Equal((1, 100), (page.Page, page.PageSize));
        Assert.Equal(Math.Min(100, page.Total), page.Rows.Count);
        Assert.Equal(page.Rows.Select(r => r.QuarantinedAt).OrderDescending(), page.Rows.Select(r => r.QuarantinedAt));
    }

    [Theory]
    [InlineData("pageSize=1001", "pageSize")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("page=0", "page")]
    [InlineData("page=-1", "page")]
    [InlineData("entity=nope", "entity")]
    [InlineData("rule=no_such_rule", "rule")]
    [InlineData("entity=patients&rule=valid_claim_amount", "rule")] // a rule of another entity
    [InlineData("entity=patients&rule=patient_exists", "rule")]
    public async Task ListQuarantine_InvalidParameter_Answers400NamingTheField(string query, string field)
    {
        // Act
        using var response = await _client.GetAsync($"/api/refinement/quarantine?{query}");

        // Assert
        await AssertValidationProblemAsync(response, field);
    }

    [Theory]
    [InlineData(Entities.Patients)]
    [InlineData(Entities.Claims)]
    [InlineData(Entities.MedicalEvents)]
    public async Task ListQuarantine_FilteredByEntity_ListsThatEntitysRowsOnly(string entity)
    {
        // Arrange
        var expected = await data.Pipeline.ScalarAsync<long>($"SELECT count(*) FROM silver.quarantine WHERE entity = '{entity}'");

        // Act
        var page = await _client.GetFromJsonAsync<QuarantinePage>($"/api/refinement/quarantine?entity={entity}&pageSize=1000");

        // Assert
        Assert.NotNull(page);
        Assert.True(expected > 0, $"the data set should quarantine some {entity}");
        Assert.Equal(expected, page.Total);
        Assert.Equal(Math.Min(1000, expected), page.Rows.Count);
        Assert.All(page.Rows, r => Assert.Equal(entity, r.Entity));
    }

    [Fact]
    public async Task ListQuarantine_FilteredByRule_ListsRowsThatFailedThatRuleOnly()
    {
        // Arrange: every rule that quarantined something, with how many rows it did.
        var rules = await data.Pipeline.QueryAsync("""
            SELECT entity, rule, count(*) FROM silver.quarantine, unnest(failed_rules) AS rule GROUP BY 1, 2 ORDER BY 1, 2
            """, r => (Entity: r.GetString(0), Rule: r.GetString(1), Rows: r.GetInt64(2)));
        Assert.Contains(rules, r => r.Rule == "valid_claim_amount");
        Assert.Contains(rules, r => r.Rule == "not_test_patient");

        foreach (var (entity, rule, rows) in rules)
        {
            // Act
            var page = await _client.GetFromJsonAsync<QuarantinePage>($"/api/refinement/quarantine?entity={entity}&rule={rule}&pageSize=1000");

            // Assert
            Assert.NotNull(page);
            Assert.Equal(rows, page.Total);
            Assert.Equal(Math.Min(1000, rows), page.Rows.Count);
            Assert.All(page.Rows, r =>
            {
                Assert.Equal(entity, r.Entity);
                Assert.Contains(rule, r.FailedRules);
            });
        }
    }

    [Fact]
    public async Task ListQuarantine_FilteredByRuleAlone_SpansEntitiesThatDeclareIt()
    {
        // Arrange: well_formed_record is declared by all three entities.
        var expected = await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.quarantine WHERE 'well_formed_record' = ANY (failed_rules)");

        // Act
        var page = await _client.GetFromJsonAsync<QuarantinePage>("/api/refinement/quarantine?rule=well_formed_record&pageSize=1000");

        // Assert
        Assert.NotNull(page);
        Assert.True(expected > 0, "the data set should have truncated last lines");
        Assert.Equal(expected, page.Total);
        Assert.All(page.Rows, r => Assert.Contains(RecordExpectations.WellFormedRecord, r.FailedRules));
    }

    [Fact]
    public async Task ListQuarantine_FullListing_HoldsNoRawPatientValues()
    {
        // Arrange: the raw identifying values bronze holds.
        var pii = await data.Pipeline.QueryAsync("""
            SELECT DISTINCT v FROM bronze.patients, LATERAL (VALUES (first_name), (last_name), (ssn), (phone), (email)) AS x (v)
            WHERE v IS NOT NULL AND btrim(v) <> ''
            """, r => r.GetString(0));
        Assert.True(pii.Count > 1000, $"bronze should hold patients' names, SSNs, phones and e-mails, got {pii.Count} values");

        // Act: every page of the full listing.
        var json = new List<string>();
        long total;
        var page = 1;
        do
        {
            using var response = await _client.GetAsync($"/api/refinement/quarantine?pageSize=1000&page={page++}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            json.Add(await response.Content.ReadAsStringAsync());
            using var document = JsonDocument.Parse(json[^1]);
            total = document.RootElement.GetProperty("total").GetInt64();
        }
        while ((long)(page - 1) * 1000 < total);

        // Assert
        var patientRows = await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.quarantine WHERE entity = 'patients'");
        Assert.True(patientRows > 0, "the listing should include quarantined patients");
        var text = string.Join("\n", json);
        var leaks = pii.Where(v => text.Contains(v.Trim(), StringComparison.Ordinal)).Take(10).ToList();
        Assert.Empty(leaks);
    }

    // ---- GET /api/refinement/expectations ----

    [Fact]
    public async Task ListExpectations_ListsEveryExpectationOfTheThreeEntities()
    {
        // Arrange
        var declared = PatientExpectations.Set.Describe()
            .Concat(ClaimExpectations.Set.Describe())
            .Concat(MedicalEventExpectations.Set.Describe())
            .Append(new ExpectationDescription(Entities.Claims, PatientLinkedMerge.PatientExistsRule, ExpectationSeverity.Drop, "-"))
            .Append(new ExpectationDescription(Entities.MedicalEvents, PatientLinkedMerge.PatientExistsRule, ExpectationSeverity.Drop, "-"))
            .ToList();

        // Act
        using var listing = await GetJsonAsync("/api/refinement/expectations");

        // Assert
        var listed = listing.RootElement.EnumerateArray().Select(e => (
            Entity: e.GetProperty("entity").GetString()!,
            Name: e.GetProperty("name").GetString()!,
            Severity: e.GetProperty("severity").GetString()!,
            Description: e.GetProperty("description").GetString()!)).ToList();
        Assert.Equal(
            declared.Select(e => $"{e.Entity}/{e.Name}/{e.Severity.Name()}").Order(StringComparer.Ordinal),
            listed.Select(e => $"{e.Entity}/{e.Name}/{e.Severity}").Order(StringComparer.Ordinal));
        Assert.All(listed, e =>
        {
            Assert.Contains(e.Severity, new[] { "warn", "drop", "fail" });
            Assert.False(string.IsNullOrWhiteSpace(e.Description), $"{e.Entity}/{e.Name} has no description");
        });
        Assert.Contains(listed, e => (e.Entity, e.Name, e.Severity) == (Entities.Claims, "patient_exists", "drop"));
        Assert.Contains(listed, e => (e.Entity, e.Name, e.Severity) == (Entities.MedicalEvents, "patient_exists", "drop"));
        Assert.DoesNotContain(listed, e => (e.Entity, e.Name) == (Entities.Patients, "patient_exists"));
        Assert.Equal(3, listed.Count(e => (e.Name, e.Severity) == ("valid_source_system", "fail")));

        // Grouped by entity in the order of Entities.All.
        Assert.Equal(Entities.All, listed.Select(e => e.Entity).Distinct());
    }

    // ---- Helpers ----

    private static long Count(JsonElement batch, string property) => batch.GetProperty(property).GetInt64();

    private async Task<JsonDocument> GetJsonAsync(string uri)
    {
        using var response = await _client.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>();
        Assert.NotNull(problem);
        Assert.Equal([field], problem.Errors.Keys);
        Assert.NotEmpty(problem.Errors[field]);
    }

    /// <summary>A small data set (1,000 patients) landed all at once and refined.</summary>
    public sealed class LandedDataSet : IAsyncLifetime
    {
        public RefinementPipeline Pipeline { get; } = new();

        public HttpClient Client { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            await Pipeline.InitializeAsync();
            var generated = await Pipeline.GenerateAsync(RefinementPipeline.Options(1_000));
            await Pipeline.LandAsync(generated.Files.Select(f => f.Path));
            Client = Pipeline.CreateClient();
        }

        public async Task DisposeAsync()
        {
            Client?.Dispose();
            await Pipeline.DisposeAsync();
        }
    }
}
