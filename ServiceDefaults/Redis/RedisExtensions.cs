using HealthMedallion.Redis;
using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Health;
using HealthMedallion.ServiceDefaults.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

public static class RedisExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="RedisConnection"/> built from <c>ConnectionStrings:{connectionName}</c>
    /// and a readiness check named <c>redis</c> that sends PING.
    /// </summary>
    public static TBuilder AddRedisClient<TBuilder>(this TBuilder builder, string connectionName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        builder.Services.AddSingleton(services =>
        {
            var connectionString = ConnectionStrings.GetRequired(services.GetRequiredService<IConfiguration>(), connectionName);
            return new RedisConnection(RedisOptions.Parse(connectionString));
        });

        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            "redis",
            services => new RedisHealthCheck(services.GetRequiredService<RedisConnection>()),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag],
            HealthEndpoints.DependencyCheckTimeout));
        return builder;
    }
}
