using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.FeatureStore.Materialization;

/// <summary>Materializes the feature views affected by a gold update. For now it only records the update.</summary>
public sealed class GoldModelUpdatedConsumer(ILogger<GoldModelUpdatedConsumer> logger) : IConsumer<GoldModelUpdated>
{
    public Task Consume(ConsumeContext<GoldModelUpdated> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var update = context.Message;
        logger.LogInformation(
            "Received GoldModelUpdated as of {AsOf:O}: batches {BatchIds}, tables {TablesRefreshed}, {AffectedPatients} patients affected",
            update.AsOf, string.Join(",", update.BatchIds), string.Join(",", update.TablesRefreshed), update.AffectedPatients);
        return Task.CompletedTask;
    }
}
