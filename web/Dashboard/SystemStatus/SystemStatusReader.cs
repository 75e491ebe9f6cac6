namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>
/// Puts together what the System page shows: the app host's resources, each HTTP project also probed on
/// <c>/health</c>; or, when the app host cannot be asked, every configured service probed directly.
/// </summary>
public sealed class SystemStatusReader(ServiceDirectory directory, AppHostClient appHost, HealthProbe probe, TimeProvider clock)
{
    public async Task<SystemSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var appHostAddress = directory.AppHost;
        if (appHostAddress is null)
        {
            return await ProbeServicesAsync(null,
                "No address for the app host is configured (services:apphost:http:0): the dashboard is probably running on its own.",
                cancellationToken);
        }

        var (resources, problem) = await appHost.GetResourcesAsync(appHostAddress, cancellationToken);
        if (resources is null)
        {
            return await ProbeServicesAsync(appHostAddress, problem, cancellationToken);
        }

        var rows = await Task.WhenAll(resources.Select(r => ToRowAsync(r, cancellationToken)));
        return new SystemSnapshot(SnapshotSource.AppHost, appHostAddress, null, rows, clock.GetUtcNow());
    }

    private async Task<ResourceRow> ToRowAsync(AppHostResource resource, CancellationToken cancellationToken)
    {
        var health = IsHttpProject(resource, out var address)
            ? await probe.ProbeAsync(address, cancellationToken)
            : HealthFromState(resource.State);

        return new ResourceRow(resource.Name, resource.Kind, resource.State, DisplayUrl(resource.Url), resource.Replicas,
            resource.Restarts, resource.Message, resource.Since, health);
    }

    private async Task<SystemSnapshot> ProbeServicesAsync(Uri? appHostAddress, string? problem, CancellationToken cancellationToken)
    {
        var rows = await Task.WhenAll(directory.Services().Select(async endpoint =>
        {
            var name = endpoint.ReplicaCount > 1 ? $"{endpoint.Service} (replica {endpoint.Replica})" : endpoint.Service;
            var health = await probe.ProbeAsync(endpoint.Address, cancellationToken);
            return new ResourceRow(name, "project", null, DisplayUrl(endpoint.Address.ToString()), null, null, null, null, health);
        }));

        return new SystemSnapshot(SnapshotSource.DirectProbes, appHostAddress, problem, rows, clock.GetUtcNow());
    }

    private static bool IsHttpProject(AppHostResource resource, out Uri address)
    {
        address = null!;
        return resource.Kind.Equals("project", StringComparison.OrdinalIgnoreCase)
            && Uri.TryCreate(resource.Url, UriKind.Absolute, out address!)
            && ServiceDirectory.IsHttp(address);
    }

    // Servers (Postgres, Redis, RabbitMQ) have no /health of their own: the app host's health check decides their state.
    private static HealthReading HealthFromState(string state) => state switch
    {
        "Healthy" => new(HealthVerdict.Healthy, "health check passed, as reported by the app host"),
        "Unhealthy" or "CrashLoop" or "Failed" or "Stopped" => new(HealthVerdict.Unhealthy, $"{state}, as reported by the app host"),
        _ => new(HealthVerdict.Unknown, "not checked yet, as reported by the app host"),
    };

    // Never show credentials that a server URL may carry (amqp://user:password@host).
    private static string? DisplayUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : url;
}
