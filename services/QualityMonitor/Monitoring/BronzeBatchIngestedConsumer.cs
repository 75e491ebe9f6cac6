using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.QualityMonitor.Monitoring;

/// <summary>Measures the quality of a new bronze batch. For now it only records the batch.</summary>
public sealed class BronzeBatchIngestedConsumer(ILogger<BronzeBatchIngestedConsumer> logger) : IConsumer<BronzeBatchIngested>
{
    public Task Consume(ConsumeContext<BronzeBatchIngested> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var batch = context.Message;
        logger.LogInformation(
            "Received BronzeBatchIngested: batch {BatchId} of {Entity} from file {FileId}, {Rows} rows ({RescuedRows} rescued)",
            batch.BatchId, batch.Entity, batch.FileId, batch.Rows, batch.RescuedRows);
        return Task.CompletedTask;
    }
}
