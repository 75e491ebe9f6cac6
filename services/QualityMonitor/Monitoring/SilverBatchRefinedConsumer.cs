using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.QualityMonitor.Monitoring;

/// <summary>Measures the quality of a refined silver batch. For now it only records the batch.</summary>
public sealed class SilverBatchRefinedConsumer(ILogger<SilverBatchRefinedConsumer> logger) : IConsumer<SilverBatchRefined>
{
    public Task Consume(ConsumeContext<SilverBatchRefined> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var batch = context.Message;
        logger.LogInformation(
            "Received SilverBatchRefined: batch {BatchId} of {Entity}, {RowsIn} rows in, {RowsOut} out, {RowsQuarantined} quarantined",
            batch.BatchId, batch.Entity, batch.RowsIn, batch.RowsOut, batch.RowsQuarantined);
        return Task.CompletedTask;
    }
}
