using System.Data.Common;
using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Health;
using HealthMedallion.ServiceDefaults.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class NpgsqlExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="NpgsqlDataSource"/> (also as <see cref="DbDataSource"/>) built from
    /// <c>ConnectionStrings:{connectionName}</c>, with the service name as Postgres application name, and a
    /// readiness check named <c>postgres</c> that runs <c>SELECT 1</c>.
    /// </summary>
    /// <remarks>
    /// The connection string is read when the data source is first resolved, so configuration added late
    /// (by a test host, say) is seen; a missing one fails then with an error naming the key.
    /// </remarks>
    public static TBuilder AddNpgsqlDataSource<TBuilder>(
        this TBuilder builder,
        string connectionName,
        Action<NpgsqlDataSourceBuilder>? configureDataSource = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var identity = ServiceIdentity.Register(builder);
        builder.Services.AddSingleton(services =>
        {
            var connectionString = ConnectionStrings.GetRequired(services.GetRequiredService<IConfiguration>(), connectionName);
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString);
            if (string.IsNullOrEmpty(dataSourceBuilder.ConnectionStringBuilder.ApplicationName))
            {
                dataSourceBuilder.ConnectionStringBuilder.ApplicationName = identity.Name;
            }

            dataSourceBuilder.UseLoggerFactory(services.GetService<ILoggerFactory>());
            configureDataSource?.Invoke(dataSourceBuilder);
            return dataSourceBuilder.Build();
        });
        builder.Services.AddSingleton<DbDataSource>(services => services.GetRequiredService<NpgsqlDataSource>());

        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            "postgres",
            services => new PostgresHealthCheck(services.GetRequiredService<NpgsqlDataSource>()),
            HealthStatus.Unhealthy,
            [HealthEndpoints.ReadyTag],
            HealthEndpoints.DependencyCheckTimeout));
        return builder;
    }
}
