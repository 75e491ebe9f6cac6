using System.Net;
using System.Net.Http.Json;
using HealthMedallion.Gateway.Apis;

namespace HealthMedallion.Gateway.Tests;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task ReplicaWhoseHealthFails_IsTakenOut_AndTrafficGoesToTheHealthyReplica()
    {
        // Arrange: two generator replicas; the second answers its API but fails /health.
        await using var healthy = await EchoBackend.StartAsync("generator-0");
        await using var failing = await EchoBackend.StartAsync("generator-1", healthy: false);
        await using var dashboard = await EchoBackend.StartAsync("dashboard");
        await using var gateway = GatewayFactory.For(("generator", [healthy, failing]), ("dashboard", [dashboard]));
        using var client = gateway.CreateClient();

        // Act: wait until active health checks have judged both replicas.
        var cluster = await WaitForClusterAsync(client, "generator",
            c => c.Destinations.All(d => d.ActiveHealth != "Unknown"));

        // Assert
        Assert.Equal("Healthy", cluster.Destinations.Single(d => d.Id == "generator/0").ActiveHealth);
        var taken = cluster.Destinations.Single(d => d.Id == "generator/1");
        Assert.Equal("Unhealthy", taken.ActiveHealth);
        Assert.False(taken.Available);
        Assert.True(failing.HealthProbes > 0);

        for (var i = 0; i < 40; i++)
        {
            var echo = await client.GetFromJsonAsync<Echo>($"/api/generator/runs/{i}");
            Assert.Equal("generator-0", echo!.Backend);
        }
    }

    [Fact]
    public async Task BothHealthyReplicas_ShareTheTraffic()
    {
        await using var first = await EchoBackend.StartAsync("generator-0");
        await using var second = await EchoBackend.StartAsync("generator-1");
        await using var gateway = GatewayFactory.For(("generator", [first, second]));
        using var client = gateway.CreateClient();
        await WaitForClusterAsync(client, "generator", c => c.Destinations.All(d => d.ActiveHealth == "Healthy"));

        var seen = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            var echo = await client.GetFromJsonAsync<Echo>("/api/generator/runs");
            seen.Add(echo!.Backend);
        }

        Assert.Equal(["generator-0", "generator-1"], seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReplicaThatTurnsUnhealthy_IsTakenOut_AndComesBackWhenHealthyAgain()
    {
        // Arrange: two healthy replicas.
        await using var first = await EchoBackend.StartAsync("generator-0");
        await using var second = await EchoBackend.StartAsync("generator-1");
        await using var gateway = GatewayFactory.For(("generator", [first, second]));
        using var client = gateway.CreateClient();
        await WaitForClusterAsync(client, "generator", c => c.Destinations.All(d => d.ActiveHealth == "Healthy"));

        // Act: the second replica's health check starts failing.
        second.Healthy = false;
        await WaitForClusterAsync(client, "generator", c => c.AvailableDestinations == 1);

        // Assert: only the first replica gets traffic ...
        for (var i = 0; i < 20; i++)
        {
            var echo = await client.GetFromJsonAsync<Echo>("/api/generator/runs");
            Assert.Equal("generator-0", echo!.Backend);
        }

        // ... until the second is healthy again.
        second.Healthy = true;
        var cluster = await WaitForClusterAsync(client, "generator", c => c.AvailableDestinations == 2);
        Assert.All(cluster.Destinations, d => Assert.Equal("Healthy", d.ActiveHealth));
    }

    [Fact]
    public async Task ServiceWhoseEveryReplicaFailsHealth_IsStillTried_RatherThanCutOff()
    {
        await using var failing = await EchoBackend.StartAsync("ingestion-0", healthy: false);
        await using var gateway = GatewayFactory.For(("ingestion", [failing]));
        using var client = gateway.CreateClient();
        var cluster = await WaitForClusterAsync(client, "ingestion", c => c.Destinations.All(d => d.ActiveHealth == "Unhealthy"));

        var echo = await client.GetFromJsonAsync<Echo>("/api/ingestion/files");

        Assert.Equal(1, cluster.AvailableDestinations);
        Assert.Equal("ingestion-0", echo!.Backend);
    }

    [Fact]
    public async Task ServiceWithNoConfiguredAddress_Answers503_InsteadOfFallingToTheDashboard()
    {
        await using var dashboard = await EchoBackend.StartAsync("dashboard");
        await using var gateway = GatewayFactory.For(("dashboard", [dashboard]));
        using var client = gateway.CreateClient();

        using var response = await client.GetAsync("/api/refinement/batches");
        var page = await client.GetFromJsonAsync<Echo>("/claims");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("dashboard", page!.Backend);
    }

    private static async Task<GatewayCluster> WaitForClusterAsync(HttpClient client, string clusterId, Func<GatewayCluster, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        GatewayCluster? cluster = null;
        while (DateTime.UtcNow < deadline)
        {
            var table = await client.GetFromJsonAsync<GatewayRoutes>("/api/gateway/routes");
            cluster = table!.Clusters.Single(c => c.ClusterId == clusterId);
            if (condition(cluster))
            {
                return cluster;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Cluster {clusterId} did not reach the expected state in 15 s; last seen: {string.Join(", ", cluster?.Destinations.Select(d => $"{d.Id}={d.ActiveHealth}") ?? [])}");
        return cluster!;
    }
}
