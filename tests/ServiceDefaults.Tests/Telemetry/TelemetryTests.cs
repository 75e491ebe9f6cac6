using System.Diagnostics;
using System.Diagnostics.Metrics;
using HealthMedallion.ServiceDefaults.Telemetry;
using HealthMedallion.ServiceDefaults.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

namespace HealthMedallion.ServiceDefaults.Tests.Telemetry;

public sealed class TelemetryTests
{
    [Fact]
    public async Task ServiceOwnSourceAndMeter_AreListenedToWhileTheHostLives_AndReleasedWithIt()
    {
        // Arrange: a name no other test uses, so only this host can be listening; an OTLP endpoint (nobody
        // there) because metrics are only collected when there is somewhere to export them.
        var serviceName = "telemetry-probe-" + Guid.NewGuid().ToString("N")[..8];
        using var source = new ActivitySource(serviceName);
        using var meter = new Meter(serviceName);
        var counter = meter.CreateCounter<long>("probe.count");
        var builder = ProbeHost.CreateBuilder(serviceName, new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{ProbeHost.ClosedPort()}",
        });
        builder.AddServiceDefaults();
        var app = builder.Build();
        Assert.False(source.HasListeners());

        // Act
        await app.StartAsync();
        var listenedWhileRunning = source.HasListeners();
        var counterEnabledWhileRunning = counter.Enabled;
        using (var activity = source.StartActivity("probe"))
        {
            Assert.NotNull(activity);
        }

        await app.StopAsync();
        await app.DisposeAsync();

        // Assert
        Assert.True(listenedWhileRunning);
        Assert.True(counterEnabledWhileRunning);
        Assert.False(source.HasListeners());
        Assert.False(counter.Enabled);
    }

    [Fact]
    public async Task Logs_GoThroughOpenTelemetry()
    {
        var builder = ProbeHost.CreateBuilder("telemetry-probe", new Dictionary<string, string?>());
        builder.AddServiceDefaults();
        await using var app = builder.Build();

        Assert.Contains(app.Services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
    }

    [Fact]
    public void LibrariesThatEmitNatively_AreSubscribed()
    {
        Assert.Superset(
            new HashSet<string> { "Microsoft.AspNetCore", "System.Net.Http", "Npgsql", "MassTransit" },
            TelemetrySources.ActivitySources.ToHashSet());
        Assert.Superset(
            new HashSet<string> { "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime", "MassTransit" },
            TelemetrySources.Meters.ToHashSet());
    }
}
