using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Postgres;

/// <summary>Healthy when a connection can be opened and answers <c>SELECT 1</c>.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy("Postgres answers.");
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Postgres does not answer.", exception);
        }
    }
}
