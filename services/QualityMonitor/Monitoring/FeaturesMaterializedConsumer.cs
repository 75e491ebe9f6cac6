using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.QualityMonitor.Monitoring;

/// <summary>Checks a materialized feature view. For now it only records the materialization.</summary>
public sealed class FeaturesMaterializedConsumer(ILogger<FeaturesMaterializedConsumer> logger) : IConsumer<FeaturesMaterialized>
{
    public Task Consume(ConsumeContext<FeaturesMaterialized> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var features = context.Message;
        logger.LogInformation(
            "Received FeaturesMaterialized: view {FeatureView}, {EntitiesWritten} entities written as of {AsOf:O}",
            features.FeatureView, features.EntitiesWritten, features.AsOf);
        return Task.CompletedTask;
    }
}
