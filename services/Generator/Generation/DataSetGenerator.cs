using System.Diagnostics;
using System.Globalization;
using HealthMedallion.Contracts;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// Generates a data set into the landing zone, and its ground truth into a run folder. Usable without DI,
/// database or bus. People are generated in chunks on every core; one writer takes the chunks in order, so the
/// files are byte-identical whatever the number of cores, and memory stays flat (a bounded window of chunks).
/// </summary>
public static class DataSetGenerator
{
    /// <summary>People per chunk: fixed (never derived from the machine), as the bytes depend on it.</summary>
    private const int ChunkPeople = 2048;

    public static Task<GenerationResult> GenerateAsync(GenerationOptions options, string landingRoot, string runFolder, CancellationToken ct) =>
        GenerateAsync(options, landingRoot, runFolder, fileCompleted: null, ct);

    /// <summary>As above, calling <paramref name="fileCompleted"/> as soon as each landing file is complete (renamed).</summary>
    public static async Task<GenerationResult> GenerateAsync(
        GenerationOptions options, string landingRoot, string runFolder, Func<GeneratedFile, CancellationToken, Task>? fileCompleted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(landingRoot);
        ArgumentException.ThrowIfNullOrWhiteSpace(runFolder);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid generation options: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")), nameof(options));
        }

        landingRoot = Path.GetFullPath(landingRoot);
        runFolder = Path.GetFullPath(runFolder);
        foreach (var entity in Entities.All)
        {
            if (IsWithin(runFolder, Path.Combine(landingRoot, entity)))
            {
                throw new ArgumentException($"The run folder must not be inside the landing folders: {runFolder}.", nameof(runFolder));
            }

            Directory.CreateDirectory(Path.Combine(landingRoot, entity));
        }

        var clock = Stopwatch.StartNew();
        var stamp = options.AsOf.UtcDateTime.ToString("yyMMdd_HHmm", CultureInfo.InvariantCulture);
        var files = new List<GeneratedFile>();
        var pending = new List<Task>();
        var specs = StreamSpec.All.Where(s => options.Sources.Contains(s.SourceSystem)).ToArray();
        using var truth = new TruthWriter(runFolder);
        var writers = specs.Select(spec =>
        {
            var sameEntity = specs.Where(s => s.Entity == spec.Entity).ToList();
            return new LandingStreamWriter(spec, options, landingRoot, stamp, sameEntity.IndexOf(spec), sameEntity.Count, truth, async file =>
            {
                lock (files)
                {
                    files.Add(file);
                }

                if (fileCompleted is not null)
                {
                    await fileCompleted(file, ct);
                }
            }, pending);
        }).ToArray();

        try
        {
            await WriteChunksAsync(options, writers, truth, ct);
            foreach (var writer in writers)
            {
                await writer.FinishAsync();
            }

            await Task.WhenAll(pending);
            truth.Complete(options, landingRoot);
        }
        finally
        {
            // Whatever happened, no file is still being completed when the call returns.
            await Task.WhenAll(pending).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var writer in writers)
            {
                writer.Dispose();
            }
        }

        return new GenerationResult(files, truth.ManifestPath, truth.LabelsPath, truth.IdentitiesPath,
            new Dictionary<string, long>(truth.DefectCounts), files.Sum(f => f.Rows), files.Sum(f => f.SizeBytes), clock.Elapsed);
    }

    private static async Task WriteChunksAsync(GenerationOptions options, LandingStreamWriter[] writers, TruthWriter truth, CancellationToken ct)
    {
        var populationChunks = (options.Patients + ChunkPeople - 1) / ChunkPeople;
        var updateChunks = (options.UpdatedPatients + ChunkPeople - 1) / ChunkPeople;
        var chunkCount = populationChunks + updateChunks;
        if (chunkCount == 0)
        {
            return;
        }

        var generator = new ChunkGenerator(options);
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, chunkCount));
        var window = Math.Min(chunkCount, (workers * 2) + 2);
        var ready = new TaskCompletionSource<Chunk>[chunkCount];
        for (var i = 0; i < chunkCount; i++)
        {
            ready[i] = new TaskCompletionSource<Chunk>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        var free = new System.Collections.Concurrent.ConcurrentBag<Chunk>();
        using var permits = new SemaphoreSlim(window, window);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var next = -1;

        void Produce()
        {
            while (!stop.IsCancellationRequested)
            {
                // The permit first, then the index: the chunk the writer waits for always holds a permit.
                permits.Wait(stop.Token);
                var k = Interlocked.Increment(ref next);
                if (k >= chunkCount)
                {
                    permits.Release();
                    return;
                }

                try
                {
                    var chunk = free.TryTake(out var reused) ? reused : new Chunk();
                    if (k < populationChunks)
                    {
                        var first = options.PatientOffset + (k * ChunkPeople);
                        generator.FillPopulation(chunk, first, Math.Min(ChunkPeople, options.PatientOffset + options.Patients - first));
                    }
                    else
                    {
                        var first = (k - populationChunks) * ChunkPeople;
                        generator.FillUpdates(chunk, first, Math.Min(ChunkPeople, options.UpdatedPatients - first));
                    }

                    ready[k].SetResult(chunk);
                }
                catch (Exception exception)
                {
                    ready[k].SetException(exception);
                    throw;
                }
            }
        }

        var producers = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(Produce, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            for (var k = 0; k < chunkCount; k++)
            {
                var chunk = await ready[k].Task.WaitAsync(ct);
                var last = k == chunkCount - 1;
                foreach (var writer in writers)
                {
                    var id = (int)writer.Spec.Id;
                    await writer.AppendAsync(chunk.Streams[id], chunk.Labels[id], last);
                }

                truth.Identities(chunk.Identities);
                chunk.Clear();
                free.Add(chunk);
                permits.Release();
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await Task.WhenAll(producers);
            }
            catch (OperationCanceledException)
            {
                // Stopped because the run ended or was cancelled.
            }
        }
    }

    private static bool IsWithin(string path, string folder)
    {
        var relative = Path.GetRelativePath(folder, path);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }
}
