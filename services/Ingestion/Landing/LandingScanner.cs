using HealthMedallion.Contracts;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>
/// Scans the landing zone periodically: files no event announced (dropped by other systems, or announced while
/// this service was down) are taken, and files whose ingestion was interrupted (a crash) or put back for a
/// retry are resumed. Both go through the same claim, so a file seen by a scan and an event is ingested once.
/// </summary>
public sealed class LandingScanner(
    FileIngester ingester,
    FileCheckpoints checkpoints,
    IOptions<LandingOptions> options,
    TimeProvider time,
    ILogger<LandingScanner> logger) : BackgroundService
{
    private readonly LandingOptions _options = options.Value;
    private readonly SemaphoreSlim _nudge = new(0);

    // Versions already recorded and seen unchanged since: not hashed again.
    private HashSet<(string Path, long Size, DateTime Modified)> _known = [];

    /// <summary>Scans now instead of at the next interval (e.g. after a retry was requested).</summary>
    public void Nudge()
    {
        if (_nudge.CurrentCount == 0)
        {
            _nudge.Release();
        }
    }

    /// <summary>One pass: resumes unfinished files, then takes every new or changed file of every entity folder.</summary>
    public async Task<int> ScanOnceAsync(CancellationToken cancellationToken)
    {
        var taken = 0;
        foreach (var fileId in await checkpoints.UnfinishedAsync(cancellationToken))
        {
            if (await TryAsync(fileId.ToString(), () => ingester.ResumeAsync(fileId, null, cancellationToken), cancellationToken))
            {
                taken++;
            }
        }

        if (string.IsNullOrWhiteSpace(_options.Root) || !Directory.Exists(_options.Root))
        {
            return taken;
        }

        _known = await checkpoints.KnownAsync(cancellationToken);
        var settled = time.GetUtcNow().UtcDateTime - _options.SettleTime;
        foreach (var entity in Entities.All)
        {
            var folder = Path.Combine(_options.Root, entity);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var path in Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden }).Order(StringComparer.Ordinal))
            {
                if (!LandedFile.IsCandidate(path) || IsUnderHiddenFolder(folder, path))
                {
                    continue;
                }

                var info = new FileInfo(path);
                var modified = LandedFile.ModificationTime(path);
                if (modified > settled || _known.Contains((info.FullName, info.Length, modified)))
                {
                    continue;
                }

                var ingested = await TryAsync(path, async () =>
                {
                    var file = await LandedFile.FingerprintAsync(path, entity, cancellationToken);
                    var outcome = await ingester.IngestAsync(file, "scan", announcedFileId: null, sourceSystem: null, cancellationToken);
                    if (!outcome.IngestedByAnother)
                    {
                        _known.Add((file.Path, file.SizeBytes, file.ModifiedUtc));
                    }

                    return outcome;
                }, cancellationToken);
                if (ingested)
                {
                    taken++;
                }
            }
        }

        return taken;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Root))
        {
            logger.LogWarning("Landing:Root is not configured: the landing zone is not scanned (announced files are still ingested)");
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(exception, "Scanning the landing zone failed; trying again in {Interval}", _options.ScanInterval);
            }

            try
            {
                await _nudge.WaitAsync(_options.ScanInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    /// <summary>One file's failure is logged and retried at the next scan; it does not hold up the other files.</summary>
    private async Task<bool> TryAsync(string what, Func<Task<IngestionOutcome>> ingest, CancellationToken cancellationToken)
    {
        try
        {
            await ingest();
            return true;
        }
        catch (FileNotFoundException)
        {
            return false; // moved away between listing and reading: nothing to take
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(exception, "Ingesting {File} failed; it is tried again at the next scan", what);
            return false;
        }
    }

    private static bool IsUnderHiddenFolder(string root, string path) =>
        Path.GetRelativePath(root, Path.GetDirectoryName(path)!).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.') && part != ".");
}
