using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.Gateway.Tests;

/// <summary>
/// Hosts the gateway in-process with service discovery entries exactly as the app host passes them
/// (<c>services:&lt;name&gt;:http:&lt;i&gt;</c>), and fast health checks so tests need not wait 5 s.
/// </summary>
public sealed class GatewayFactory(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    public static GatewayFactory For(params (string Service, EchoBackend[] Replicas)[] services)
    {
        var settings = new Dictionary<string, string>
        {
            ["Gateway:HealthChecks:Interval"] = "00:00:00.200",
            ["Gateway:HealthChecks:Timeout"] = "00:00:01",
            ["Gateway:HealthChecks:ConsecutiveFailures"] = "1",
        };
        foreach (var (service, replicas) in services)
        {
            for (var i = 0; i < replicas.Length; i++)
            {
                settings[$"services:{service}:http:{i}"] = replicas[i].Url;
            }
        }

        return new GatewayFactory(settings);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}
