using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace HealthMedallion.ServiceDefaults.Telemetry;

/// <summary>
/// Makes the container create the tracer and meter providers when the host starts (they listen from then
/// on) and, since the container created them, dispose (and so flush) them when the host is disposed.
/// </summary>
internal sealed class TelemetryProviders(TracerProvider tracerProvider, MeterProvider meterProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Export what is buffered while the exporters' endpoints are still likely to be up.
        tracerProvider.ForceFlush(2_000);
        meterProvider.ForceFlush(2_000);
        return Task.CompletedTask;
    }
}
