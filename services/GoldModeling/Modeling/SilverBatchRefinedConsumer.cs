using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.GoldModeling.Modeling;

/// <summary>
/// Brings gold up to date with a refined silver batch, then publishes <see cref="GoldModelUpdated"/>. A redelivered
/// event finds the batch applied and changes nothing (the sweep publishes what was applied but never published); a failure throws, so the message is retried and never lost.
/// </summary>
public sealed class SilverBatchRefinedConsumer(GoldModel model, GoldEvents events, ILogger<SilverBatchRefinedConsumer> logger) : IConsumer<SilverBatchRefined>
{
    public async Task Consume(ConsumeContext<SilverBatchRefined> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var batch = context.Message;
        logger.LogInformation("Received SilverBatchRefined: batch {BatchId} of {Entity}, {RowsOut} rows out", batch.BatchId, batch.Entity, batch.RowsOut);
        var refresh = await model.ApplyBatchAsync(batch.BatchId, batch.Entity, context.CancellationToken);
        if (!refresh.AlreadyApplied)
        {
            await events.PublishAsync(refresh, context.CancellationToken);
        }
    }
}
