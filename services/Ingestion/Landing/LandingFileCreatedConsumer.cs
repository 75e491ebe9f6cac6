using HealthMedallion.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>
/// Takes an announced file into bronze. Idempotent: a redelivered or duplicated event, or one for a file a scan
/// already took, finds the file's checkpoint and changes nothing. A failure throws, so the message is retried
/// and then moved to the error queue, never acknowledged as done.
/// </summary>
public sealed class LandingFileCreatedConsumer(
    FileIngester ingester,
    FileCheckpoints checkpoints,
    IOptions<LandingOptions> options,
    ILogger<LandingFileCreatedConsumer> logger) : IConsumer<LandingFileCreated>
{
    public async Task Consume(ConsumeContext<LandingFileCreated> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var message = context.Message;
        logger.LogInformation(
            "Received LandingFileCreated: file {FileId} ({Entity} from {SourceSystem}, {SizeBytes} bytes, sha256 {Sha256}) at {Path}",
            message.FileId, message.Entity, message.SourceSystem, message.SizeBytes, message.Sha256, message.Path);

        var path = Resolve(message.Path);
        if (path is null || !Entities.All.Contains(message.Entity))
        {
            // Retrying cannot make it valid; the scan still finds files that are really in the landing zone.
            logger.LogWarning("Ignored LandingFileCreated {FileId}: entity '{Entity}' or path '{Path}' is not in the landing zone {Root}", message.FileId, message.Entity, message.Path, options.Value.Root);
            return;
        }

        var known = await checkpoints.FindAsync(path, message.SizeBytes, message.Sha256.ToLowerInvariant(), context.CancellationToken);
        if (known is { Status: not FileStatus.Ingesting })
        {
            logger.LogInformation("File {Path} is already {Status} as {BronzeFileId}", path, known.Status, known.FileId);
            return;
        }

        // The event's size and hash say which version was announced; the file on disk is what is ingested (if it was
        // replaced since, that is a new version with its own identity, and the announced one is gone).
        var file = await LandedFile.FingerprintAsync(path, message.Entity, context.CancellationToken);
        var outcome = await ingester.IngestAsync(file, "event", message.FileId, message.SourceSystem, context.CancellationToken);
        logger.LogInformation("File {Path} is {Status} as {BronzeFileId} ({Rows} rows, {Rescued} rescued)", path, outcome.Status, outcome.FileId, outcome.Rows, outcome.RescuedRows);
    }

    /// <summary>The full path of an announced file (relative paths are relative to the landing root), or null if it is outside the root.</summary>
    private string? Resolve(string path)
    {
        var root = options.Value.Root;
        if (string.IsNullOrWhiteSpace(root))
        {
            return Path.IsPathRooted(path) ? Path.GetFullPath(path) : null;
        }

        var fullRoot = Path.GetFullPath(root);
        var full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(fullRoot, path));
        var relative = Path.GetRelativePath(fullRoot, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : full;
    }
}
