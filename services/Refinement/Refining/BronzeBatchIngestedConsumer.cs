using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.Refinement.Refining;

/// <summary>Refines a bronze batch into silver. For now it only records that the batch was announced.</summary>
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
