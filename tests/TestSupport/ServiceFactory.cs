using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HealthMedallion.TestSupport;

/// <summary>
/// Hosts a service in-process against a test class's own slice of the real servers: the connection strings
/// are those the app host would pass (medallion, messaging, redis), pointing at the class's database and vhost.
/// </summary>
public class ServiceFactory<TProgram>(IsolatedServices services) : WebApplicationFactory<TProgram> where TProgram : class
{
    public IsolatedServices Isolated { get; } = services;

    /// <summary>Extra settings for this host, applied after the connection strings (so they can override them).</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:medallion", Isolated.Postgres);
        builder.UseSetting("ConnectionStrings:messaging", Isolated.RabbitMq);
        builder.UseSetting("ConnectionStrings:redis", Isolated.Redis);
        builder.UseSetting("Redis:KeyPrefix", Isolated.RedisKeyPrefix);
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
