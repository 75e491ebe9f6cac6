using System.Net;
using System.Net.Http.Json;
using HealthMedallion.Gateway.Apis;

namespace HealthMedallion.Gateway.Tests;

public sealed class RoutingFixture : IAsyncLifetime
{
    public static readonly string[] Services =
        ["generator", "ingestion", "refinement", "gold-modeling", "feature-store", "quality-monitor", "dashboard"];

    private readonly List<EchoBackend> _backends = [];

    public GatewayFactory Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (var service in Services)
        {
            _backends.Add(await EchoBackend.StartAsync(service));
        }

        Gateway = GatewayFactory.For(_backends.Select(b => (b.Name, new[] { b })).ToArray());
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}

public sealed class RoutingTests(RoutingFixture fixture) : IClassFixture<RoutingFixture>
{
    private readonly HttpClient _client = fixture.Gateway.CreateClient();

    [Theory]
    [InlineData("/api/generator/runs/42", "?seed=7&rows=100", "generator")]
    [InlineData("/api/ingestion/files", "?entity=claims", "ingestion")]
    [InlineData("/api/refinement/batches/3/quarantine", "", "refinement")]
    [InlineData("/api/gold/marts/claims-cost", "?from=2026-01&to=2026-06&q=a%20b", "gold-modeling")]
    [InlineData("/api/features/patients/P-001", "?view=risk&view=utilization", "feature-store")]
    [InlineData("/api/quality/alerts", "?severity=fail", "quality-monitor")]
    public async Task ServicePrefix_IsForwardedToItsService_WithPathAndQueryUnchanged(string path, string query, string service)
    {
        // Act
        var echo = await _client.GetFromJsonAsync<Echo>(path + query);

        // Assert
        Assert.NotNull(echo);
        Assert.Equal(service, echo.Backend);
        Assert.Equal(path, echo.Path);
        Assert.Equal(query, echo.Query);
    }

    [Fact]
    public async Task ServicePrefix_WithoutRest_IsForwardedToItsService()
    {
        var echo = await _client.GetFromJsonAsync<Echo>("/api/gold");

        Assert.Equal("gold-modeling", echo!.Backend);
        Assert.Equal("/api/gold", echo.Path);
    }

    [Fact]
    public async Task RequestBodyAndMethod_AreForwarded()
    {
        using var response = await _client.PostAsJsonAsync("/api/generator/runs?seed=1", new { Rows = 10 });

        response.EnsureSuccessStatusCode();
        var echo = await response.Content.ReadFromJsonAsync<Echo>();
        Assert.Equal("generator", echo!.Backend);
        Assert.Equal("POST", echo.Method);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/system")]
    [InlineData("/patients?page=2")]
    [InlineData("/lib/htmx/htmx.min.js")]
    [InlineData("/api/unknown/thing")]
    [InlineData("/api/generatorx/runs")]
    [InlineData("/apis/gold/marts")]
    public async Task EveryOtherPath_IsForwardedToTheDashboard(string pathAndQuery)
    {
        var echo = await _client.GetFromJsonAsync<Echo>(pathAndQuery);

        Assert.Equal("dashboard", echo!.Backend);
        Assert.Equal(pathAndQuery, echo.Path + echo.Query);
    }

    [Fact]
    public async Task GatewayHealth_IsAnsweredByTheGatewayItself()
    {
        using var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("\"backend\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutesApi_ListsEveryRouteAndDestination()
    {
        var table = await _client.GetFromJsonAsync<GatewayRoutes>("/api/gateway/routes");

        Assert.NotNull(table);
        Assert.Equal(RoutingFixture.Services.Order(StringComparer.Ordinal), table.Routes.Select(r => r.RouteId).Order(StringComparer.Ordinal));
        Assert.Equal("/{**catch-all}", table.Routes.Single(r => r.RouteId == "dashboard").Path);
        Assert.Equal("/api/gold/{**rest}", table.Routes.Single(r => r.RouteId == "gold-modeling").Path);
        Assert.True(table.Routes.Single(r => r.RouteId == "dashboard").Order > table.Routes.Single(r => r.RouteId == "generator").Order);

        var generator = table.Clusters.Single(c => c.ClusterId == "generator");
        Assert.Equal("/health", generator.HealthCheckPath);
        var destination = Assert.Single(generator.Destinations);
        Assert.Equal("generator/0", destination.Id);
        Assert.StartsWith("http://127.0.0.1:", destination.Address, StringComparison.Ordinal);
    }
}
