using System.Globalization;

namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>A replica of a service, as service discovery configuration names it.</summary>
public sealed record ServiceEndpoint(string Service, int Replica, int ReplicaCount, Uri Address);

/// <summary>
/// Reads service discovery entries exactly as the app host (or Aspire) passes them:
/// <c>services:&lt;name&gt;:http:&lt;i&gt;</c>, with the app host itself under the name <c>apphost</c>.
/// </summary>
public sealed class ServiceDirectory(IConfiguration configuration)
{
    public const string AppHostName = "apphost";

    public Uri? AppHost => Endpoints(configuration.GetSection($"services:{AppHostName}")).FirstOrDefault();

    /// <summary>Every configured service but the app host, one entry per replica.</summary>
    public IReadOnlyList<ServiceEndpoint> Services()
    {
        var endpoints = new List<ServiceEndpoint>();
        foreach (var service in configuration.GetSection("services").GetChildren().OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (service.Key.Equals(AppHostName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var addresses = Endpoints(service);
            endpoints.AddRange(addresses.Select((address, i) => new ServiceEndpoint(service.Key, i, addresses.Count, address)));
        }

        return endpoints;
    }

    // Aspire may list one replica under both http and https: take one scheme, http first.
    private static List<Uri> Endpoints(IConfigurationSection service)
    {
        var scheme = service.GetSection("http");
        if (!scheme.GetChildren().Any())
        {
            scheme = service.GetSection("https");
        }

        return scheme.GetChildren()
            .OrderBy(e => int.TryParse(e.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue)
            .Select(e => Uri.TryCreate(e.Value, UriKind.Absolute, out var uri) && IsHttp(uri) ? uri : null)
            .OfType<Uri>()
            .ToList();
    }

    public static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;
}
