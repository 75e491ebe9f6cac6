using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Health;
using HealthMedallion.ServiceDefaults.Http;
using HealthMedallion.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every HealthMedallion service gets: telemetry, health checks and HttpClient defaults
/// (the counterpart of an Aspire ServiceDefaults project).
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Adds OpenTelemetry (traces, metrics, logs), the liveness check and resilient HttpClient defaults.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        var identity = ServiceIdentity.Register(builder);
        builder.AddOpenTelemetry(identity);
        builder.AddDefaultHealthChecks();
        builder.AddHttpClientDefaults();
        return builder;
    }

    /// <summary>
    /// Maps <c>/alive</c> (liveness: the process answers) and <c>/health</c> (readiness: every registered
    /// check) in every environment: probes must work where the service is deployed, not only in Development.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        app.MapHealthChecks(HealthEndpoints.ReadinessPath, new HealthCheckOptions
        {
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        app.MapHealthChecks(HealthEndpoints.LivenessPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(HealthEndpoints.LiveTag),
            ResponseWriter = HealthReportWriter.WriteAsync,
        });
        return app;
    }
}
