using System.Net;
using System.Net.Http.Json;
using HealthMedallion.Refinement.Apis;
using HealthMedallion.Refinement.Identity.Review;
using HealthMedallion.Refinement.Tests.Support;
using static HealthMedallion.Refinement.Tests.Identity.SourceRecords;

namespace HealthMedallion.Refinement.Tests.Identity;

/// <summary>
/// The review queue and its API, with the service configured to link nothing on its own (auto-link threshold above
/// any probability): every plausible pair waits for a reviewer, and the resolver follows the decisions.
/// </summary>
public sealed class IdentityReviewTests(IdentityReviewTests.ReviewOnly service) : IClassFixture<IdentityReviewTests.ReviewOnly>
{
    private readonly RefinementPipeline _pipeline = service.Pipeline;

    [Fact]
    public async Task ARejectedPair_IsNeverLinked_EvenWhenItsRecordArrivesAgain()
    {
        // Arrange: a pair in the queue.
        await LandAsync(Csv(EhrHeader, Ehr("P92000011", "Harriet", "Quimby", "1975-08-11", 'F', "2 Hemlock Pl", "99508", "9078420011")));
        await LandAsync(Csv(LabHeader, Lab("L92000011", "Harriet", "Quimby", "1975-08-11", 'F', "99508", "9078420011")));
        var item = await PendingAsync("P92000011", "L92000011");
        Assert.Equal("L92000011", await PatientOfAsync("LAB_SYSTEM", "L92000011"));

        // Act: rejected; then the lab sends the record again, corrected (a later timestamp).
        using var client = _pipeline.CreateClient();
        var response = await client.PostAsJsonAsync($"/api/refinement/identity/review/{item.ReviewId}/reject", new ReviewDecision("test reviewer"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await LandAsync(Csv(LabHeader, Lab("L92000011", "Harriet", "Quimby", "1975-08-11", 'F', "99508", "9078420011", timestamp: "20260104090000")));

        // Assert: still apart, not asked again, and the decision cannot be turned around.
        Assert.Equal("L92000011", await PatientOfAsync("LAB_SYSTEM", "L92000011"));
        Assert.DoesNotContain(await ListPendingAsync(), i => i.SecondSourcePatientId == "L92000011");
        Assert.Equal(IdentityReviewQueue.Rejected, await _pipeline.ScalarAsync<string>($"SELECT status FROM silver.identity_review WHERE review_id = {item.ReviewId}"));
        var again = await client.PostAsJsonAsync($"/api/refinement/identity/review/{item.ReviewId}/accept", new ReviewDecision(null));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task AnAcceptedPair_IsLinkedByTheNextResolution()
    {
        await LandAsync(Csv(EhrHeader, Ehr("P92000021", "Tobias", "Lindqvist", "1969-12-01", 'M', "61 Larch Rd", "99509", "9078420021")));
        await LandAsync(Csv(AdtHeader, Adt("A92000021", "", "Tobias", "Lindqvist", "1969-12-01", 'M', "61 Larch Rd", "99509", "9078420021")));
        var item = await PendingAsync("A92000021", "P92000021");

        using var client = _pipeline.CreateClient();
        var response = await client.PostAsync($"/api/refinement/identity/review/{item.ReviewId}/accept", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await LandAsync(Csv(EhrHeader, Ehr("P92000029", "Unrelated", "Person", "1999-01-01", 'F', "1 Nowhere St", "99510", "9078420029")));

        Assert.Equal("P92000021", await PatientOfAsync("ADT_SYSTEM", "A92000021"));
        Assert.Equal("review_accepted", await _pipeline.ScalarAsync<string>(
            "SELECT match_rule FROM silver.patient_identity_map WHERE source_system = 'ADT_SYSTEM' AND source_patient_id = 'A92000021'"));
        Assert.True(await _pipeline.ScalarAsync<bool>($"SELECT applied_at IS NOT NULL FROM silver.identity_review WHERE review_id = {item.ReviewId}"));
    }

    [Fact]
    public async Task TheReviewApi_AnswersABadPageWith400_AndAnUnknownPairWith404()
    {
        using var client = _pipeline.CreateClient();

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/refinement/identity/review?pageSize=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/refinement/identity/review/987654321/accept", null)).StatusCode);
    }

    private Task LandAsync(string csv) => _pipeline.LandCsvAsync("patients", $"review_{Guid.NewGuid():N}.csv", csv);

    private async Task<List<ReviewItem>> ListPendingAsync()
    {
        using var client = _pipeline.CreateClient();
        var page = await client.GetFromJsonAsync<ReviewPage>("/api/refinement/identity/review?pageSize=1000");
        return [.. page!.Items];
    }

    private async Task<ReviewItem> PendingAsync(string firstId, string secondId)
    {
        var pending = await ListPendingAsync();
        return Assert.Single(pending, i => i.FirstSourcePatientId == firstId && i.SecondSourcePatientId == secondId);
    }

    private Task<string> PatientOfAsync(string source, string id) => _pipeline.ScalarAsync<string>(
        $"SELECT patient_id FROM silver.patient_identity_map WHERE source_system = '{source}' AND source_patient_id = '{id}'");

    /// <summary>A service whose auto-link threshold no probability reaches.</summary>
    public sealed class ReviewOnly : IAsyncLifetime
    {
        public RefinementPipeline Pipeline { get; } = new();

        public Task InitializeAsync()
        {
            Pipeline.Settings["Refinement:Identity:AutoLinkProbability"] = "1.5";
            return Pipeline.InitializeAsync();
        }

        public Task DisposeAsync() => Pipeline.DisposeAsync();
    }
}
