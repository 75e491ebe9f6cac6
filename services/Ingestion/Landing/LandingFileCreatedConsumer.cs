using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>Takes a landed CSV file into bronze. For now it only records that the file was announced.</summary>
public sealed class LandingFileCreatedConsumer(ILogger<LandingFileCreatedConsumer> logger) : IConsumer<LandingFileCreated>
{
    public Task Consume(ConsumeContext<LandingFileCreated> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var file = context.Message;
        logger.LogInformation(
            "Received LandingFileCreated: file {FileId} ({Entity} from {SourceSystem}, {SizeBytes} bytes, sha256 {Sha256}) at {Path}",
            file.FileId, file.Entity, file.SourceSystem, file.SizeBytes, file.Sha256, file.Path);
        return Task.CompletedTask;
    }
}
