using HealthMedallion.Contracts;
using HealthMedallion.Generator.Generation;
using MassTransit;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Generator.Runs;

/// <summary>
/// Executes queued runs one at a time: files are recorded in Postgres before their <see cref="LandingFileCreated"/>
/// is published, and the truth is loaded when the run completes. Also the service's housekeeping: the default
/// run on an empty landing zone, re-queueing runs of a dead instance, re-publishing unannounced files, the
/// increment schedule and landing-zone retention.
/// </summary>
public sealed partial class RunWorker(
    RunStore store, IBus bus, IOptions<GeneratorSettings> settings, TimeProvider time, ILogger<RunWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Starts on a queued run now instead of at the next poll.</summary>
    public void Wake() => _wake.Release();

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = settings.Value;
        var defaultRunChecked = false;
        var nextSweep = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!defaultRunChecked)
                {
                    await StartDefaultRunAsync(options, stoppingToken);
                    defaultRunChecked = true;
                }

                var now = time.GetUtcNow();
                if (now >= nextSweep)
                {
                    await SweepAsync(options, stoppingToken);
                    nextSweep = now + options.SweepInterval;
                }

                if (await store.ClaimNextAsync(stoppingToken) is { } run)
                {
                    await ExecuteRunAsync(run.RunId, run.Options, options, stoppingToken);
                    continue;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(exception);
            }

            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task StartDefaultRunAsync(GeneratorSettings options, CancellationToken ct)
    {
        if (!options.DefaultRun || string.IsNullOrEmpty(options.LandingRoot))
        {
            return;
        }

        var landed = Entities.All.Any(e => Directory.Exists(Path.Combine(options.LandingRoot, e))
            && Directory.EnumerateFiles(Path.Combine(options.LandingRoot, e), "*.csv").Any());
        if (landed || await store.AnyAsync(ct))
        {
            return;
        }

        var run = await store.CreateAsync(new RunRequest(), time.GetUtcNow(), ct);
        LogDefaultRun(run!.RunId);
    }

    private async Task ExecuteRunAsync(Guid runId, GenerationOptions options, GeneratorSettings settings, CancellationToken ct)
    {
        LogRunStarted(runId, options.Patients, options.Seed, options.AsOf);
        using var heartbeat = new CancellationTokenSource();
        var beating = BeatAsync(runId, heartbeat.Token);
        try
        {
            if (string.IsNullOrEmpty(settings.LandingRoot) || string.IsNullOrEmpty(settings.RunsRoot))
            {
                throw new InvalidOperationException("Landing:Root and Generator:RunsRoot must be configured.");
            }

            // A re-run after a crash writes the same bytes again: clear what the earlier attempt left.
            RemoveEarlierAttempt(options, settings.LandingRoot, await store.FilePathsAsync(runId, ct));
            var result = await DataSetGenerator.GenerateAsync(options, settings.LandingRoot, Path.Combine(settings.RunsRoot, runId.ToString("N")),
                async (file, token) =>
                {
                    var fileId = await store.RecordFileAsync(runId, file, token);
                    try
                    {
                        await bus.Publish(new LandingFileCreated(fileId, file.Path, file.Entity, file.SourceSystem, file.SizeBytes, file.Sha256), token);
                        await store.MarkPublishedAsync(fileId, token);
                    }
                    catch (Exception exception) when (!token.IsCancellationRequested)
                    {
                        // The file is landed and recorded: the sweep announces it once the broker is back.
                        LogPublishDeferred(exception, file.Path);
                    }
                },
                ct);
            await store.CompleteAsync(runId, result, ct);
            LogRunSucceeded(runId, result.Files.Count, result.Rows, result.Elapsed.TotalSeconds);
        }
        catch (Exception exception) when (!ct.IsCancellationRequested)
        {
            LogRunFailed(exception, runId);
            await store.FailAsync(runId, exception.Message, CancellationToken.None);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: hand the run back at once rather than after the stale-heartbeat delay.
            await store.RequeueAsync(runId, CancellationToken.None);
            throw;
        }
        finally
        {
            await heartbeat.CancelAsync();
            await beating;
        }
    }

    private async Task BeatAsync(Guid runId, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ct);
                await store.HeartbeatAsync(runId, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    private static void RemoveEarlierAttempt(GenerationOptions options, string landingRoot, IReadOnlyList<string> recorded)
    {
        var stamp = options.AsOf.UtcDateTime.ToString("yyMMdd_HHmm", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var entity in Entities.All)
        {
            var folder = Path.Combine(landingRoot, entity);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(folder, $"{entity}_{stamp}_*"))
            {
                File.Delete(file);
            }
        }

        foreach (var path in recorded)
        {
            File.Delete(path);
        }
    }

    private async Task SweepAsync(GeneratorSettings options, CancellationToken ct)
    {
        var requeued = await store.RequeueStaleAsync(options.StaleAfter, ct);
        if (requeued > 0)
        {
            LogRequeued(requeued);
        }

        foreach (var file in await store.UnpublishedAsync(TimeSpan.FromSeconds(30), ct))
        {
            await bus.Publish(new LandingFileCreated(file.FileId, file.Path, file.Entity, file.SourceSystem, file.SizeBytes, file.Sha256), ct);
            await store.MarkPublishedAsync(file.FileId, ct);
            LogRepublished(file.Path);
        }

        if (options.ScheduleInterval is { } interval && interval > TimeSpan.Zero
            && await store.LatestFullSeedAsync(ct) is { } seed
            && (await store.LastRequestedAsync(ct) is not { } last || time.GetUtcNow() - last >= interval))
        {
            var run = await store.CreateAsync(
                new RunRequest(Patients: options.SchedulePatients, Seed: seed, Increment: true, UpdatedPatients: options.ScheduleUpdatedPatients), time.GetUtcNow(), ct);
            LogScheduled(run!.RunId);
        }

        if (options.RetentionDays > 0 && !string.IsNullOrEmpty(options.LandingRoot))
        {
            var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.RetentionDays);
            foreach (var entity in Entities.All)
            {
                var folder = Path.Combine(options.LandingRoot, entity);
                if (!Directory.Exists(folder))
                {
                    continue;
                }

                foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*.csv"))
                {
                    if (file.LastWriteTimeUtc < cutoff)
                    {
                        file.Delete();
                        LogRetention(file.FullName, options.RetentionDays);
                    }
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "No run yet and an empty landing zone: queued the default run {RunId}.")]
    private partial void LogDefaultRun(Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started: {Patients} patients, seed {Seed}, as of {AsOf:O}.")]
    private partial void LogRunStarted(Guid runId, int patients, int seed, DateTimeOffset asOf);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} succeeded: {Files} files, {Rows} rows in {Seconds:F1} s.")]
    private partial void LogRunSucceeded(Guid runId, int files, long rows, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed.")]
    private partial void LogRunFailed(Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-queued {Count} run(s) whose instance stopped beating.")]
    private partial void LogRequeued(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish LandingFileCreated for {Path} now; the sweep will.")]
    private partial void LogPublishDeferred(Exception exception, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-published LandingFileCreated for {Path}.")]
    private partial void LogRepublished(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled increment run {RunId}.")]
    private partial void LogScheduled(Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Path}: older than {Days} days.")]
    private partial void LogRetention(string path, int days);

    [LoggerMessage(Level = LogLevel.Error, Message = "The generator's run loop failed; it carries on.")]
    private partial void LogLoopFailed(Exception exception);
}
