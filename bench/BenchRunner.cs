using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HealthMedallion.Bench.Scenarios;
using HealthMedallion.Hosting;

namespace HealthMedallion.Bench;

/// <summary>A benchmark scenario: one hot path measured end to end, ideally against a baseline in the same run.</summary>
public interface IScenario
{
    string Name { get; }

    string Description { get; }

    Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>One measured figure; a ratio against a baseline measured in the same run is what to quote.</summary>
public sealed record Metric(string Name, double Value, string Unit);

public sealed record BenchResult(IReadOnlyList<Metric> Metrics, IReadOnlyDictionary<string, string> Parameters, string? Notes = null);

public sealed class BenchContext(int patients, string dataRoot)
{
    public int Patients { get; } = patients;

    /// <summary>A fresh folder for servers a scenario starts through the hosting model.</summary>
    public string DataRoot { get; } = dataRoot;

    public DistributedApplicationBuilder CreateBuilder(string name) =>
        new(new DistributedApplicationOptions { DataRoot = Path.Combine(DataRoot, name), Fresh = true, LogToConsole = false });

    /// <summary>
    /// Starts what the pipeline scenarios run against: Postgres with the database <c>medallion</c>, the app host's
    /// shared buffers, its WAL and checkpoints spaced out for bulk loads (plus <paramref name="settings"/>), and RabbitMQ.
    /// </summary>
    public static async Task<PipelineServers> StartPipelineServersAsync(
        DistributedApplicationBuilder builder, CancellationToken cancellationToken, params (string Name, string Value)[] settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var postgres = builder.AddPostgres("postgres").WithMachineSizedBuffers() // as the app host runs it
            .WithSetting("max_wal_size", "16GB").WithSetting("checkpoint_timeout", "30min");
        foreach (var (name, value) in settings)
        {
            postgres = postgres.WithSetting(name, value);
        }

        postgres.AddDatabase("medallion");
        builder.AddRabbitMQ("messaging");
        var app = builder.Build();
        await app.StartAsync(cancellationToken);
        return new PipelineServers(app, app.GetConnectionString("medallion"), app.GetConnectionString("messaging")) { HugePagesMiB = HugePagesHeldMiB() };
    }

    /// <summary>
    /// How much memory huge pages hold, in MiB (the pages in use or promised to a mapping; here, Postgres's shared memory
    /// when <c>scripts/huge-pages.sh</c> reserved enough of them): a run with them is not comparable with one without.
    /// </summary>
    private static long HugePagesHeldMiB()
    {
        var info = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo")
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture)) : [];
        var held = info.GetValueOrDefault("HugePages_Total") - info.GetValueOrDefault("HugePages_Free") + info.GetValueOrDefault("HugePages_Rsvd");
        return held * info.GetValueOrDefault("Hugepagesize") / 1024;
    }
}

/// <summary>Started pipeline servers and their connection strings; disposing them stops the servers.</summary>
public sealed record PipelineServers(DistributedApplication App, string Postgres, string Messaging) : IAsyncDisposable
{
    /// <summary>Memory held by huge pages once the servers started (Postgres's shared memory, if they were reserved).</summary>
    public long HugePagesMiB { get; init; }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}

public static class BenchRunner
{
    private static readonly IScenario[] Scenarios = [new ServersStartupScenario(), new RedisPipelineScenario(), new GenerateScenario(), new IngestScenario(), new RefineScenario(), new GoldScenario(), new IdentityScenario()];

    public static async Task<int> RunAsync(string[] args)
    {
        var name = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));
        var scenario = Scenarios.FirstOrDefault(s => s.Name == name);
        if (scenario is null)
        {
            Console.Error.WriteLine(name is null ? "usage: bench <scenario> [--patients N]" : $"unknown scenario '{name}'");
            foreach (var s in Scenarios)
            {
                Console.Error.WriteLine($"  {s.Name,-18} {s.Description}");
            }

            return 2;
        }

        var patients = 10_000;
        var index = Array.IndexOf(args, "--patients");
        if (index >= 0 && (index + 1 >= args.Length || !int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out patients) || patients <= 0))
        {
            Console.Error.WriteLine("--patients needs a positive whole number");
            return 2;
        }

        var root = DistributedApplicationOptions.FindSolutionRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();
        var dataRoot = Path.Combine(Path.GetTempPath(), "healthmedallion-bench", Guid.NewGuid().ToString("N"));
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        BenchResult result;
        try
        {
            result = await scenario.RunAsync(new BenchContext(patients, dataRoot), CancellationToken.None);
        }
        finally
        {
            if (Directory.Exists(dataRoot))
            {
                Directory.Delete(dataRoot, recursive: true);
            }
        }

        var record = new
        {
            scenario = scenario.Name,
            startedAt = started,
            elapsedSeconds = clock.Elapsed.TotalSeconds,
            machine = new { cores = Environment.ProcessorCount, memoryGiB = Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1073741824.0, 1), os = Environment.OSVersion.ToString(), runtime = Environment.Version.ToString() },
            parameters = result.Parameters,
            metrics = result.Metrics,
            notes = result.Notes,
        };
        var folder = Path.Combine(root, "bench", "results");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"{scenario.Name}-{started:yyyyMMddTHHmmss}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));

        foreach (var metric in result.Metrics)
        {
            Console.WriteLine($"{metric.Name,-40} {metric.Value,14:N2} {metric.Unit}");
        }

        Console.WriteLine($"result: {Path.GetRelativePath(root, file)}");
        return 0;
    }
}
