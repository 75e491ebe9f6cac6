using HealthMedallion.Gateway.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Configuration;

namespace HealthMedallion.Gateway.Tests;

public sealed class ServiceRoutesTests
{
    private static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(
        params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build();
        return ServiceRoutes.Build(configuration, new HealthCheckSettings(), NullLogger.Instance);
    }

    [Fact]
    public void EveryReplica_BecomesADestination_InReplicaOrder()
    {
        var settings = Enumerable.Range(0, 11)
            .Select(i => ($"services:refinement:http:{i}", $"http://127.0.0.1:{7000 + i}"))
            .ToArray();

        var (_, clusters) = Build(settings);

        var refinement = clusters.Single(c => c.ClusterId == "refinement");
        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"refinement/{i}"), refinement.Destinations!.Keys);
        Assert.Equal("http://127.0.0.1:7010/", refinement.Destinations["refinement/10"].Address);
    }

    [Fact]
    public void ReplicaListedUnderHttpAndHttps_IsOneDestination()
    {
        var (_, clusters) = Build(
            ("services:generator:http:0", "http://127.0.0.1:7001"),
            ("services:generator:https:0", "https://127.0.0.1:7002"),
            ("services:ingestion:https:0", "https://127.0.0.1:7003"));

        Assert.Equal("http://127.0.0.1:7001/", Assert.Single(clusters.Single(c => c.ClusterId == "generator").Destinations!).Value.Address);
        Assert.Equal("https://127.0.0.1:7003/", Assert.Single(clusters.Single(c => c.ClusterId == "ingestion").Destinations!).Value.Address);
    }

    [Fact]
    public void AddressThatIsNotHttp_IsIgnored()
    {
        var (_, clusters) = Build(
            ("services:gold-modeling:http:0", "not a url"),
            ("services:gold-modeling:http:1", "tcp://127.0.0.1:7004"),
            ("services:gold-modeling:http:2", "http://127.0.0.1:7005"));

        Assert.Equal("gold-modeling/2", Assert.Single(clusters.Single(c => c.ClusterId == "gold-modeling").Destinations!).Key);
    }

    [Fact]
    public void EveryCluster_HasActiveHealthChecksOnHealth()
    {
        var (routes, clusters) = Build();

        Assert.Equal(7, routes.Count);
        Assert.All(clusters, c =>
        {
            Assert.True(c.HealthCheck!.Active!.Enabled);
            Assert.Equal("/health", c.HealthCheck.Active.Path);
            Assert.Equal(TimeSpan.FromSeconds(5), c.HealthCheck.Active.Interval);
            Assert.Equal("ConsecutiveFailures", c.HealthCheck.Active.Policy);
        });
    }

    [Fact]
    public void UnknownService_GetsNoRoute()
    {
        var (routes, clusters) = Build(("services:apphost:http:0", "http://127.0.0.1:7006"));

        Assert.DoesNotContain(routes, r => r.RouteId == "apphost");
        Assert.DoesNotContain(clusters, c => c.ClusterId == "apphost");
    }
}
