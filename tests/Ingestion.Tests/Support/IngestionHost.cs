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
        // The scanner leaves a file alone this long after it was written, so that a test announcing a file by
        // event is not overtaken by a scan (both paths ingest it once, but the test checks the event path).
        factory.Settings["Landing:SettleTime"] = "00:00:02";
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
