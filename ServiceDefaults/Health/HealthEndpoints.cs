using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace HealthMedallion.ServiceDefaults.Health;

/// <summary>Paths and tags of the two health endpoints.</summary>
public static class HealthEndpoints
{
    /// <summary>Readiness: every registered dependency check (Postgres, Redis, the message bus, ...).</summary>
    public const string ReadinessPath = "/health";

    /// <summary>Liveness: only checks tagged <see cref="LiveTag"/>; the process answers.</summary>
    public const string LivenessPath = "/alive";

    public const string LiveTag = "live";

    /// <summary>Tag of the checks that say whether a dependency answers.</summary>
    public const string ReadyTag = "ready";

    /// <summary>How long one dependency check may take before it counts as failed.</summary>
    public static readonly TimeSpan DependencyCheckTimeout = TimeSpan.FromSeconds(5);

    internal static void AddDefaultHealthChecks(this IHostApplicationBuilder builder) =>
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("The process answers."), [LiveTag]);
}
