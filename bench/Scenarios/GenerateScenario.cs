using System.Diagnostics;
using System.Globalization;
using HealthMedallion.Generator.Generation;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>
/// The generator's hot path: a full data set (patients from three sources, claims, medical events, defects and
/// ground truth) written to a landing zone through the programmatic API, as fast as the machine allows.
/// </summary>
public sealed class GenerateScenario : IScenario
{
    public string Name => "generate";

    public string Description => "Generate --patients N people with claims and events into a landing zone (rows/s, MB/s, peak memory)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var landing = Path.Combine(context.DataRoot, "landing");
        var runs = Path.Combine(context.DataRoot, "runs", "bench");
        var options = new GenerationOptions { Patients = context.Patients, AsOf = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero) };

        // Peak working set, sampled: the process's own peak also counts the runtime's start-up.
        await using var memory = new WorkingSetSampler();
        var process = memory.Process;

        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await DataSetGenerator.GenerateAsync(options, landing, runs, cancellationToken);
        var elapsed = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        await memory.StopAsync();

        var labels = new FileInfo(result.LabelsPath).Length + new FileInfo(result.IdentitiesPath).Length;
        return new BenchResult(
            [
                new("elapsed", elapsed, "s"),
                new("rows", result.Rows, "rows"),
                new("rows/s", result.Rows / elapsed, "rows/s"),
                new("landing MB/s", result.Bytes / 1e6 / elapsed, "MB/s"),
                new("landing size", result.Bytes / 1e6, "MB"),
                new("ground truth size", labels / 1e6, "MB"),
                new("files", result.Files.Count, "files"),
                new("injected defects", result.DefectCounts.Values.Sum(), "labels"),
                new("peak working set", memory.Peak / 1048576.0, "MiB"),
                new("CPU time / elapsed", cpuSeconds / elapsed, "cores"),
            ],
            new Dictionary<string, string>
            {
                ["patients"] = context.Patients.ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["partRows"] = options.PartRows.ToString(CultureInfo.InvariantCulture),
                ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            });
    }
}
