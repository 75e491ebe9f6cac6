using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.Dashboard.Tests;

/// <summary>Hosts the dashboard in-process with service discovery entries as the app host passes them.</summary>
public sealed class DashboardFactory(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    public static DashboardFactory With(params (string Key, string Value)[] settings) =>
        new(settings.ToDictionary(s => s.Key, s => s.Value));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}
