extern alias generator;
extern alias ingestion;

using generator::HealthMedallion.Generator.Generation;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.TestSupport;
using ingestion::HealthMedallion.Ingestion;
using ingestion::HealthMedallion.Ingestion.Landing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HealthMedallion.Refinement.Tests.Support;

/// <summary>
/// The real pipeline on a test class's own database and vhost: generator files, landed when a test says so, taken by
/// the ingestion service's scan into bronze, announced on RabbitMQ and refined into silver by the refinement service.
/// </summary>
public sealed class RefinementPipeline : IAsyncLifetime
{
    /// <summary>The test key of the SSN hash (the app host generates a random one; any 32+ characters do).</summary>
    public const string SsnHashKey = "test-key-0123456789abcdef0123456789abcdef";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-refinement-tests", Guid.NewGuid().ToString("N"));
    private ServiceFactory<Program>? _refinement;
    private WebApplicationFactory<Program>? _refinementHost;
    private IHost? _ingestion;

    public IsolatedServices Isolated { get; } = new();

    public CapturedLogs Logs { get; } = new();

    /// <summary>Where files wait until a test lands them (one folder per entity, as the generator writes them).</summary>
    public string Staging => Path.Combine(_root, "staging");

    public string Landing => Path.Combine(_root, "landing");

    public string RunFolder => Path.Combine(_root, "run");

    public IServiceProvider Services => _refinementHost?.Services ?? throw new InvalidOperationException("The pipeline is not started.");

    public HttpClient CreateClient() => _refinementHost?.CreateClient() ?? throw new InvalidOperationException("The pipeline is not started.");

    public NpgsqlDataSource Database { get; private set; } = null!;

    /// <summary>Settings for the refinement service beyond the test defaults.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    public async Task InitializeAsync()
    {
        await Isolated.InitializeAsync();
        Directory.CreateDirectory(Landing);
        Database = NpgsqlDataSource.Create(Isolated.Postgres);

        // Refinement first: its queue must exist before ingestion announces the first batch.
        _refinement = new ServiceFactory<Program>(Isolated);
        _refinement.Settings["Refinement:SsnHashKey"] = SsnHashKey;
        _refinement.Settings["Refinement:SweepInterval"] = "1.00:00:00";
        foreach (var (key, value) in Settings)
        {
            _refinement.Settings[key] = value;
        }

        _refinementHost = _refinement.WithWebHostBuilder(web => web.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(Logs)));
        _ = _refinementHost.Server;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "HealthMedallion.Ingestion", EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = Isolated.Postgres,
            ["ConnectionStrings:messaging"] = Isolated.RabbitMq,
            ["Landing:Root"] = Landing,
            ["Landing:SettleTime"] = "00:00:00",
            ["Landing:ScanInterval"] = "1.00:00:00", // tests land files and scan themselves
            ["Ingestion:PipelineEnvironment"] = "test",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddIngestion();
        _ingestion = builder.Build();
        await _ingestion.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_ingestion is not null)
        {
            await _ingestion.StopAsync();
            _ingestion.Dispose();
        }

        if (_refinementHost is not null)
        {
            await _refinementHost.DisposeAsync();
        }

        if (_refinement is not null)
        {
            await _refinement.DisposeAsync();
        }

        await Database.DisposeAsync();
        Logs.Dispose();
        await Isolated.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Generates a data set into the staging folder; its ground truth goes to <see cref="RunFolder"/>.</summary>
    public Task<GenerationResult> GenerateAsync(GenerationOptions options) =>
        DataSetGenerator.GenerateAsync(options, Staging, RunFolder, CancellationToken.None);

    /// <summary>A generation's options with the run's "now" at the current minute, so that its dates are in the past when bronze takes them.</summary>
    public static GenerationOptions Options(int patients, int seed = 42) =>
        new() { Patients = patients, Seed = seed, AsOf = DateTimeOffset.UtcNow.AddTicks(-(DateTimeOffset.UtcNow.Ticks % TimeSpan.TicksPerMinute)) };

    /// <summary>Moves staged files into the landing zone, lets ingestion scan them, and waits until every bronze batch is refined.</summary>
    public async Task LandAsync(IEnumerable<string> stagedFiles)
    {
        var landed = new List<string>();
        foreach (var file in stagedFiles)
        {
            var entity = Path.GetFileName(Path.GetDirectoryName(file)!);
            var folder = Directory.CreateDirectory(Path.Combine(Landing, entity)).FullName;
            landed.Add(Path.Combine(folder, Path.GetFileName(file)));
            File.Move(file, landed[^1]);
        }

        // The scan may find a file the ingestion service's own start-up scan is already taking: wait for both.
        await _ingestion!.Services.GetRequiredService<LandingScanner>().ScanOnceAsync(CancellationToken.None);
        var ingested = await Eventually.TrueAsync(async () =>
        {
            await using var command = Database.CreateCommand("SELECT count(DISTINCT path) FROM bronze.files WHERE path = ANY(@paths) AND status <> 'ingesting'");
            command.Parameters.AddWithValue("paths", landed.ToArray());
            return (long)(await command.ExecuteScalarAsync())! == landed.Count;
        }, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        Assert.True(ingested, "every landed file should be ingested");
        await WaitUntilRefinedAsync();
    }

    /// <summary>Lands a hand-made CSV (written beside the landing zone, then moved in whole), scans it and waits until it is refined.</summary>
    public async Task LandCsvAsync(string entity, string fileName, string csv)
    {
        var staged = Path.Combine(Directory.CreateDirectory(Path.Combine(Staging, entity)).FullName, fileName);
        await File.WriteAllTextAsync(staged, csv);
        await LandAsync([staged]);
    }

    public IEnumerable<string> StagedFiles(string entity) =>
        Directory.Exists(Path.Combine(Staging, entity))
            ? Directory.EnumerateFiles(Path.Combine(Staging, entity), "*.csv").Order(StringComparer.Ordinal)
            : [];

    /// <summary>Waits until silver has a record of every bronze batch; fails at once, with the errors, when the service logs one.</summary>
    public async Task WaitUntilRefinedAsync()
    {
        string Errors() => string.Join(" | ", Logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Message + " " + e.Exception?.Message));
        var settled = await Eventually.TrueAsync(async () =>
            Logs.Entries.Any(e => e.Level >= LogLevel.Error)
            || await ScalarAsync<bool>("SELECT (SELECT count(*) FROM bronze.batches) = (SELECT count(*) FROM silver.batches)"),
            TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(200));
        Assert.True(settled && Errors().Length == 0, "Every bronze batch should be refined without error; logged errors: " + Errors());
    }

    private int _bronzeBatches;

    /// <summary>
    /// Writes a bronze batch of one row (its source columns and their SQL values) from a file of its own, committed a
    /// second after the one before, without an event: a test refines it when it says so.
    /// </summary>
    public async Task<Guid> BronzeBatchAsync(string entity, string sourceSystem, string fileName, (string Columns, string Values) row)
    {
        var batchId = Guid.CreateVersion7();
        var fileId = Guid.CreateVersion7();
        var committed = Interlocked.Increment(ref _bronzeBatches);
        await ExecuteAsync($"""
            INSERT INTO bronze.files (file_id, path, file_name, entity, source_system, size_bytes, modified_at, sha256, status, rows, batches, discovered_by, completed_at)
            VALUES ('{fileId}', '/nowhere/{fileName}', '{fileName}', '{entity}', '{sourceSystem}', 1, now(), 'x', 'ingested', 1, 1, 'scan', now());
            INSERT INTO bronze.batches (batch_id, file_id, sequence, entity, first_row, rows, rescued_rows, committed_at, published_at)
            VALUES ('{batchId}', '{fileId}', 0, '{entity}', 1, 1, 0, now() - interval '1 minute' + {committed} * interval '1 second', now());
            INSERT INTO bronze.{entity} ({row.Columns}, _source_system, _batch_id, _file_name, _file_path, _file_size, _file_modification_time, _row_number, _pipeline_env)
            VALUES ({row.Values}, '{sourceSystem}', '{batchId}', '{fileName}', '/nowhere/{fileName}', 1, now(), 1, 'test');
            """);
        return batchId;
    }

    public BatchRefiner Refiner => Services.GetRequiredService<BatchRefiner>();

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = Database.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
