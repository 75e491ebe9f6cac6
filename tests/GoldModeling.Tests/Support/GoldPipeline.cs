extern alias generator;
extern alias ingestion;
extern alias refinement;

using generator::HealthMedallion.Generator.Generation;
using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.TestSupport;
using ingestion::HealthMedallion.Ingestion;
using ingestion::HealthMedallion.Ingestion.Landing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RefinementProgram = refinement::Program;

namespace HealthMedallion.GoldModeling.Tests.Support;

/// <summary>
/// The real pipeline on a test class's own database and vhost: generator files landed when a test says so, ingested
/// into bronze, refined into silver, and modeled into gold by the gold-modeling service from the SilverBatchRefined
/// events on RabbitMQ. One per test class (xunit class fixture): a data set of a few thousand patients takes seconds.
/// </summary>
public sealed class GoldPipeline : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-gold-tests", Guid.NewGuid().ToString("N"));
    private ServiceFactory<Program>? _gold;
    private WebApplicationFactory<Program>? _goldHost;
    private ServiceFactory<RefinementProgram>? _refinement;
    private WebApplicationFactory<RefinementProgram>? _refinementHost;
    private IHost? _ingestion;

    public IsolatedServices Isolated { get; } = new();

    /// <summary>The gold-modeling service's logs.</summary>
    public CapturedLogs Logs { get; } = new();

    public CapturedLogs RefinementLogs { get; } = new();

    public string Staging => Path.Combine(_root, "staging");

    public string Landing => Path.Combine(_root, "landing");

    public NpgsqlDataSource Database { get; private set; } = null!;

    public IServiceProvider Services => _goldHost?.Services ?? throw new InvalidOperationException("The pipeline is not started.");

    public IServiceProvider RefinementServices => _refinementHost?.Services ?? throw new InvalidOperationException("The pipeline is not started.");

    public GoldModel Model => Services.GetRequiredService<GoldModel>();

    public HttpClient CreateClient() => _goldHost?.CreateClient() ?? throw new InvalidOperationException("The pipeline is not started.");

    public async Task InitializeAsync()
    {
        await Isolated.InitializeAsync();
        Directory.CreateDirectory(Landing);
        Database = NpgsqlDataSource.Create(Isolated.Postgres);

        // Gold first, then refinement: each queue must exist before the events for it are published.
        _gold = new ServiceFactory<Program>(Isolated);
        _gold.Settings["GoldModeling:SweepInterval"] = "1.00:00:00"; // tests sweep themselves, and take any missed batch at once
        _gold.Settings["GoldModeling:CatchUpAfter"] = "00:00:00";
        _goldHost = _gold.WithWebHostBuilder(web => web.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(Logs)));
        _ = _goldHost.Server;

        _refinement = new ServiceFactory<RefinementProgram>(Isolated);
        _refinement.Settings["Refinement:SsnHashKey"] = "test-key-0123456789abcdef0123456789abcdef";
        _refinement.Settings["Refinement:SweepInterval"] = "1.00:00:00";
        _refinementHost = _refinement.WithWebHostBuilder(web => web.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(RefinementLogs)));
        _ = _refinementHost.Server;

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "HealthMedallion.Ingestion", EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = Isolated.Postgres,
            ["ConnectionStrings:messaging"] = Isolated.RabbitMq,
            ["Landing:Root"] = Landing,
            ["Landing:SettleTime"] = "00:00:00",
            ["Landing:ScanInterval"] = "1.00:00:00",
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

        foreach (var host in new IAsyncDisposable?[] { _refinementHost, _refinement, _goldHost, _gold })
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        await Database.DisposeAsync();
        Logs.Dispose();
        RefinementLogs.Dispose();
        await Isolated.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>Generates a data set into the staging folder (its dates in the past, so that refinement takes them).</summary>
    public Task<GenerationResult> GenerateAsync(int patients, int seed = 42) =>
        GenerateAsync(new GenerationOptions { Patients = patients, Seed = seed, AsOf = GenerationOptions.TruncateToMinute(DateTimeOffset.UtcNow) });

    public Task<GenerationResult> GenerateAsync(GenerationOptions options) =>
        DataSetGenerator.GenerateAsync(options, Staging, Path.Combine(_root, "run-" + options.AsOf.ToUnixTimeSeconds()), CancellationToken.None);

    /// <summary>Moves staged files into the landing zone, lets ingestion take them, and waits until gold has applied every refined batch.</summary>
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

        await _ingestion!.Services.GetRequiredService<LandingScanner>().ScanOnceAsync(CancellationToken.None);
        var ingested = await Eventually.TrueAsync(async () =>
        {
            await using var command = Database.CreateCommand("SELECT count(DISTINCT path) FROM bronze.files WHERE path = ANY(@paths) AND status <> 'ingesting'");
            command.Parameters.AddWithValue("paths", landed.ToArray());
            return (long)(await command.ExecuteScalarAsync())! == landed.Count;
        }, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        Assert.True(ingested, "every landed file should be ingested");
        await WaitUntilModeledAsync();
    }

    /// <summary>Lands a hand-made CSV and waits until gold has applied it.</summary>
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

    /// <summary>Waits until every bronze batch is refined and every refined batch is in gold; fails at once when a service logs an error.</summary>
    public async Task WaitUntilModeledAsync()
    {
        string Errors() => string.Join(" | ", Logs.Entries.Concat(RefinementLogs.Entries).Where(e => e.Level >= LogLevel.Error)
            .Select(e => e.Message + " " + e.Exception?.Message));
        var settled = await Eventually.TrueAsync(async () =>
            Errors().Length > 0
            || await ScalarAsync<bool>("""
                SELECT (SELECT count(*) FROM bronze.batches) = (SELECT count(*) FROM silver.batches)
                   AND (SELECT count(*) FROM silver.batches WHERE status = 'refined') = (SELECT count(*) FROM gold.batches)
                """),
            TimeSpan.FromMinutes(4), TimeSpan.FromMilliseconds(200));
        Assert.True(settled && Errors().Length == 0, "Every batch should reach gold without error; logged errors: " + Errors());
    }

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

    /// <summary>Every gold model table as sorted text rows (the batch ledger and the record-version log excluded: they are not the model).</summary>
    /// <param name="patients">A condition that narrows gold.dim_patients (all rows when null).</param>
    public async Task<Dictionary<string, List<string>>> SnapshotAsync(string? patients = null)
    {
        var snapshot = new Dictionary<string, List<string>>();
        foreach (var table in GoldTables)
        {
            var where = table == "gold.dim_patients" && patients is not null ? "WHERE " + patients : "";
            snapshot[table] = await QueryAsync($"SELECT t::text FROM {table} t {where} ORDER BY 1", r => r.GetString(0));
        }

        return snapshot;
    }

    public static readonly string[] GoldTables =
    [
        "gold.dim_patients", "gold.fact_claims", "gold.fact_medical_events", "gold.mart_claims_cost", "gold.mart_claims_cost_all_years", "gold.mart_monthly_financials",
        "gold.mart_utilization", "gold.mart_weekly_events", "gold.provider_patients", "gold.mart_provider_performance", "gold.mart_patient_360",
        "gold.mart_patient_claims", "gold.mart_risk_stratification", "gold.mart_hipaa_compliance", "gold.patient_members",
    ];

    /// <summary>Asserts two snapshots are equal table by table, naming the first difference.</summary>
    public static void AssertSame(Dictionary<string, List<string>> expected, Dictionary<string, List<string>> actual, string what)
    {
        foreach (var (table, rows) in expected)
        {
            var other = actual[table];
            var first = rows.Zip(other).FirstOrDefault(p => p.First != p.Second);
            Assert.True(rows.SequenceEqual(other),
                $"{table} differs {what}: {rows.Count} rows vs {other.Count}; first difference: {first.First} vs {first.Second}");
        }
    }
}
