using HealthMedallion.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HealthMedallion.ServiceDefaults.Redis;

/// <summary>Healthy when Redis answers PING.</summary>
internal sealed class RedisHealthCheck(RedisConnection connection) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var roundTrip = await connection.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Redis answers PING in {roundTrip.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis does not answer PING.", exception);
        }
    }
}
