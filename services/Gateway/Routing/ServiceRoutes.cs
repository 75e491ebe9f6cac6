using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;

namespace HealthMedallion.Gateway.Routing;

/// <summary>
/// Builds YARP routes and clusters from service discovery configuration as the app host (or Aspire)
/// passes it: <c>services:&lt;name&gt;:http:&lt;i&gt;</c>, one entry per replica.
/// </summary>
public static class ServiceRoutes
{
    // Services that own a prefix outrank the web app's catch-all whatever their path precedence.
    public const int ServiceRouteOrder = 0;
    public const int CatchAllRouteOrder = 1000;

    public static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(
        IConfiguration configuration, HealthCheckSettings health, ILogger logger)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();

        foreach (var service in RoutedService.All)
        {
            // A route exists even while its service has no address, so that its paths answer 503
            // instead of falling through to the web app.
            routes.Add(new RouteConfig
            {
                RouteId = service.Name,
                ClusterId = service.Name,
                Order = service.IsCatchAll ? CatchAllRouteOrder : ServiceRouteOrder,
                Match = new RouteMatch { Path = service.PathPattern },
            });

            var destinations = ReadDestinations(configuration.GetSection($"services:{service.Name}"), service.Name, logger);
            if (destinations.Count == 0)
            {
                logger.LogWarning("No address configured for {Service} (services:{Service}:http:0); its routes answer 503.", service.Name, service.Name);
            }

            clusters.Add(new ClusterConfig
            {
                ClusterId = service.Name,
                Destinations = destinations,
                HealthCheck = new HealthCheckConfig
                {
                    // Unhealthy replicas get no traffic while a healthy one exists; when none is healthy, all are
                    // tried rather than cutting the service off (a failing readiness check often means one
                    // dependency is down, not that every request would fail).
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Path = health.Path,
                        Interval = health.Interval,
                        Timeout = health.Timeout,
                        Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                    },
                },
                Metadata = new Dictionary<string, string>
                {
                    [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] =
                        health.ConsecutiveFailures.ToString(CultureInfo.InvariantCulture),
                },
            });
        }

        return (routes, clusters);
    }

    /// <summary>
    /// Every replica becomes a destination. Aspire may list the same replica under both <c>http</c> and
    /// <c>https</c>; only one scheme is used (http preferred on this internal hop) so none is counted twice.
    /// </summary>
    private static Dictionary<string, DestinationConfig> ReadDestinations(IConfigurationSection service, string name, ILogger logger)
    {
        var endpoints = service.GetSection("http");
        var scheme = "http";
        if (!endpoints.GetChildren().Any())
        {
            endpoints = service.GetSection("https");
            scheme = "https";
        }

        var destinations = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var replica in endpoints.GetChildren().OrderBy(ReplicaIndex).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!Uri.TryCreate(replica.Value, UriKind.Absolute, out var address)
                || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            {
                logger.LogWarning("Ignoring services:{Service}:{Scheme}:{Replica} = '{Value}': not an absolute http(s) address.",
                    name, scheme, replica.Key, replica.Value);
                continue;
            }

            destinations[$"{name}/{replica.Key}"] = new DestinationConfig { Address = address.ToString() };
        }

        return destinations;
    }

    private static int ReplicaIndex(IConfigurationSection replica) =>
        int.TryParse(replica.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : int.MaxValue;
}
