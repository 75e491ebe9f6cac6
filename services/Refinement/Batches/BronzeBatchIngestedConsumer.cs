using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Refines each bronze batch as ingestion announces it. A failure is thrown, so the bus retries and then parks the message.</summary>
public sealed class BronzeBatchIngestedConsumer(BatchRefiner refiner, ILogger<BronzeBatchIngestedConsumer> logger) : IConsumer<BronzeBatchIngested>
{
    public async Task Consume(ConsumeContext<BronzeBatchIngested> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var batch = context.Message;
        logger.LogInformation(
            "Received BronzeBatchIngested: batch {BatchId} of {Entity} from file {FileId}, {Rows} rows ({RescuedRows} rescued)",
            batch.BatchId, batch.Entity, batch.FileId, batch.Rows, batch.RescuedRows);
        await refiner.RefineAsync(batch.BatchId, context.CancellationToken);
    }
}
