using Microsoft.AspNetCore.Http.HttpResults;
using HealthMedallion.Gateway.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace HealthMedallion.Gateway.Apis;

public static class RoutesApi
{
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/gateway/routes", GetRoutes)
            .WithName("GetGatewayRoutes")
            .WithSummary("The gateway's routes, clusters and the health of every destination.");
        return app;
    }

    public static Ok<GatewayRoutes> GetRoutes(IProxyStateLookup proxyState)
    {
        var routes = proxyState.GetRoutes()
            .Select(r => new GatewayRoute(r.Config.RouteId, r.Config.Match.Path, r.Config.Order ?? 0, r.Config.ClusterId))
            .OrderBy(r => r.Order)
            .ThenBy(r => r.RouteId, StringComparer.Ordinal)
            .ToList();

        var clusters = proxyState.GetClusters()
            .Select(ToCluster)
            .OrderBy(c => c.ClusterId, StringComparer.Ordinal)
            .ToList();

        return TypedResults.Ok(new GatewayRoutes(routes, clusters));
    }

    private static GatewayCluster ToCluster(ClusterState cluster)
    {
        var available = cluster.DestinationsState.AvailableDestinations;
        var active = cluster.Model.Config.HealthCheck?.Active;
        var destinations = cluster.Destinations.Values
            .OrderBy(d => d.DestinationId, StringComparer.Ordinal)
            .Select(d => new GatewayDestination(
                d.DestinationId,
                d.Model.Config.Address,
                d.Health.Active.ToString(),
                d.Health.Passive.ToString(),
                available.Contains(d)))
            .ToList();

        return new GatewayCluster(
            cluster.ClusterId,
            active?.Path,
            active?.Interval,
            destinations.Count(d => d.Available),
            destinations);
    }
}

public sealed record GatewayRoutes(IReadOnlyList<GatewayRoute> Routes, IReadOnlyList<GatewayCluster> Clusters);

public sealed record GatewayRoute(string RouteId, string? Path, int Order, string? ClusterId);

public sealed record GatewayCluster(
    string ClusterId,
    string? HealthCheckPath,
    TimeSpan? HealthCheckInterval,
    int AvailableDestinations,
    IReadOnlyList<GatewayDestination> Destinations);

/// <summary>Health is YARP's view: Unknown until the first probe, then Healthy or Unhealthy.</summary>
public sealed record GatewayDestination(string Id, string Address, string ActiveHealth, string PassiveHealth, bool Available);
