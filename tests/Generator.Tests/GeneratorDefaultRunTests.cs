using System.Net.Http.Json;
using System.Text.Json;
using HealthMedallion.Generator.Runs;
using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HealthMedallion.Generator.Tests;

/// <summary>A new user sees data without doing anything: the first start on an empty landing zone generates it.</summary>
public sealed class GeneratorDefaultRunTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-generator-tests", Guid.NewGuid().ToString("N"));
    private ServiceFactory<Program> _service = null!;
    private WebApplicationFactory<Program> _host = null!;

    public Task InitializeAsync()
    {
        _service = new ServiceFactory<Program>(services);
        _service.Settings["Landing:Root"] = Path.Combine(_root, "landing");
        _service.Settings["Generator:RunsRoot"] = Path.Combine(_root, "generator");
        _host = _service;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task FirstStart_OnAnEmptyLandingZone_GeneratesTheDefaultDataSet()
    {
        using var client = _host.CreateClient();
        List<RunView>? runs = null;

        var done = await Eventually.TrueAsync(async () =>
        {
            runs = await client.GetFromJsonAsync<List<RunView>>("/api/generator/runs", new JsonSerializerOptions(JsonSerializerDefaults.Web));
            return runs is [{ Status: "succeeded" or "failed" }];
        }, TimeSpan.FromSeconds(90));

        Assert.True(done, $"runs: {runs?.Count}, {runs?.FirstOrDefault()?.Status}");
        var run = Assert.Single(runs!);
        Assert.Equal(("succeeded", 10_000, 42), (run.Status, run.Patients, run.Seed));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_root, "landing", "patients"), "*.csv"));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_root, "landing", "claims"), "*.csv"));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_root, "landing", "medical_events"), "*.csv"));
    }
}
