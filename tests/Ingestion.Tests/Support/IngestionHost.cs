using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HealthMedallion.Ingestion.Tests.Support;

/// <summary>The ingestion service in-process on a test class's database and vhost, scanning a given landing zone often.</summary>
public static class IngestionHost
{
    public static ServiceFactory<Program> Create(IsolatedServices services, string landingRoot, IDictionary<string, string?>? settings = null)
    {
        var factory = new ServiceFactory<Program>(services);
        factory.Settings["Landing:Root"] = landingRoot;
        factory.Settings["Landing:ScanInterval"] = "00:00:00.2";
        factory.Settings["Landing:SettleTime"] = "00:00:00";
        factory.Settings["Ingestion:RepublishInterval"] = "00:00:00.5";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            factory.Settings[key] = value;
        }

        return factory;
    }

    /// <summary>Starts the host (migrations, bus, scanner) and returns it.</summary>
    public static WebApplicationFactory<Program> Started(this WebApplicationFactory<Program> factory)
    {
        _ = factory.Server;
        return factory;
    }
}
