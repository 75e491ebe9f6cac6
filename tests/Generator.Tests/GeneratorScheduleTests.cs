using System.Net.Http.Json;
using System.Text.Json;
using HealthMedallion.Generator.Runs;
using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HealthMedallion.Generator.Tests;

/// <summary>The schedule: after the first full run, increments (new people and updates) follow on their own.</summary>
public sealed class GeneratorScheduleTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-generator-tests", Guid.NewGuid().ToString("N"));
    private ServiceFactory<Program> _service = null!;
    private WebApplicationFactory<Program> _host = null!;

    public Task InitializeAsync()
    {
        _service = new ServiceFactory<Program>(services);
        _service.Settings["Landing:Root"] = Path.Combine(_root, "landing");
        _service.Settings["Generator:RunsRoot"] = Path.Combine(_root, "generator");
        _service.Settings["Generator:DefaultRun"] = "false";
        _service.Settings["Generator:SweepInterval"] = "00:00:01";
        _service.Settings["Generator:ScheduleInterval"] = "00:00:02";
        _service.Settings["Generator:SchedulePatients"] = "40";
        _service.Settings["Generator:ScheduleUpdatedPatients"] = "15";
        _host = _service;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AfterAFullRun_IncrementsAreQueued_ContinuingItsPopulation()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        using var client = _host.CreateClient();
        using var response = await client.PostAsJsonAsync("/api/generator/runs", new { patients = 300, seed = 3 });
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        List<RunView>? runs = null;

        var incremented = await Eventually.TrueAsync(async () =>
        {
            runs = await client.GetFromJsonAsync<List<RunView>>("/api/generator/runs", json);
            return runs!.Count(r => r is { Kind: "increment", Status: "succeeded" }) >= 2;
        }, TimeSpan.FromSeconds(60));

        Assert.True(incremented, string.Join(", ", runs?.Select(r => $"{r.Kind}:{r.Status}:{r.Error}") ?? []));
        var increments = runs!.Where(r => r.Kind == "increment").OrderBy(r => r.AsOf).ToList();
        var first = await client.GetFromJsonAsync<RunView>($"/api/generator/runs/{increments[0].RunId}", json);
        var second = await client.GetFromJsonAsync<RunView>($"/api/generator/runs/{increments[1].RunId}", json);
        Assert.Equal((3, 40, 300, 15), (first!.Seed, first.Patients, first.Options!.PatientOffset, first.Options.UpdatedPatients));
        Assert.Equal(340, second!.Options!.PatientOffset);
    }
}
