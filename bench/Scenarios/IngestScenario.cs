using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsvHelper;
using HealthMedallion.Generator.Generation;
using HealthMedallion.Hosting;
using HealthMedallion.Ingestion;
using HealthMedallion.Ingestion.Bronze;
using HealthMedallion.Ingestion.Csv;
using HealthMedallion.Ingestion.Landing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>
/// The ingestion service's hot path against <c>psql \copy</c> of the same files into identical tables, in the same
/// run on the same server: the generator's data set (--patients N) landed, then (1) psql loads every file it can,
/// one after the other, (2) the service's own scan takes exactly those files (discovery, sha256, claim, parse, binary
/// COPY, batch commits, events on RabbitMQ), one after the other. Files psql cannot load (an extra column, a truncated
/// last line) are left out of both and counted. Also measured: parsing alone with CsvHelper against our reader.
/// </summary>
public sealed class IngestScenario : IScenario
{
    public string Name => "ingest";

    public string Description => "Ingest --patients N generated data set into bronze vs psql \\copy of the same files (rows/s, ratio, memory)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        // The data set is kept between runs (generating it is the generator's benchmark, not this one).
        var dataSet = DataSetFolder(context.Patients);
        var landing = await GenerateOnceAsync(dataSet, context.Patients, cancellationToken);

        await using var servers = await BenchContext.StartPipelineServersAsync(context.CreateBuilder("ingest"), cancellationToken);
        var connectionString = servers.Postgres;

        // The service, as Program.cs builds it minus Kestrel; its landing root empty until the measured scan.
        var serviceLanding = Path.Combine(context.DataRoot, "service-landing");
        Directory.CreateDirectory(serviceLanding);
        using var service = BuildService(connectionString, servers.Messaging, serviceLanding);
        await service.StartAsync(cancellationToken);
        var dataSource = service.Services.GetRequiredService<NpgsqlDataSource>();

        // 1. psql \copy, file by file, into tables LIKE the bronze ones (lineage filled by per-file defaults).
        await ExecuteAsync(dataSource, Baseline.CreateTablesSql, cancellationToken);
        var files = Directory.EnumerateFiles(landing, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var loaded = new List<(string Path, string Entity)>();
        var excluded = new List<string>();
        var psqlSeconds = 0.0;
        foreach (var path in files)
        {
            var entity = Path.GetFileName(Path.GetDirectoryName(path)!);
            var (ok, seconds, error) = await Baseline.CopyAsync(connectionString, path, entity, cancellationToken);
            if (ok)
            {
                psqlSeconds += seconds;
                loaded.Add((path, entity));
            }
            else
            {
                excluded.Add($"{Path.GetFileName(path)}: {error}");
            }
        }

        var psqlRows = await ScalarAsync(dataSource, "SELECT (SELECT count(*) FROM baseline.patients) + (SELECT count(*) FROM baseline.claims) + (SELECT count(*) FROM baseline.medical_events)", cancellationToken);
        var bytes = loaded.Sum(f => new FileInfo(f.Path).Length);

        // 2. The service's scan over exactly the same files (copies: same bytes, same names), memory sampled.
        foreach (var (path, entity) in loaded)
        {
            var target = Directory.CreateDirectory(Path.Combine(serviceLanding, entity)).FullName;
            File.Copy(path, Path.Combine(target, Path.GetFileName(path))); // copied, not timed; the page cache holds both
        }

        await using var memory = new WorkingSetSampler(collectFirst: true);

        var scanner = service.Services.GetRequiredService<LandingScanner>();
        var clock = Stopwatch.StartNew();
        var taken = await scanner.ScanOnceAsync(cancellationToken);
        var serviceSeconds = clock.Elapsed.TotalSeconds;
        await memory.StopAsync();

        var serviceRows = await ScalarAsync(dataSource, "SELECT coalesce(sum(rows), 0)::bigint FROM bronze.files WHERE status = 'ingested'", cancellationToken);
        var bronzeRows = await ScalarAsync(dataSource, "SELECT (SELECT count(*) FROM bronze.patients) + (SELECT count(*) FROM bronze.claims) + (SELECT count(*) FROM bronze.medical_events)", cancellationToken);
        if (taken != loaded.Count || serviceRows != psqlRows || bronzeRows != psqlRows)
        {
            throw new InvalidOperationException($"The service took {taken} files and {serviceRows} rows ({bronzeRows} in bronze); psql loaded {loaded.Count} files and {psqlRows} rows.");
        }

        // 3. Parsing alone, on the largest files: CsvHelper's string per field, its spans (decoded to chars, or as UTF-8), our reader.
        var sample = loaded.Select(f => f.Path).OrderByDescending(p => new FileInfo(p).Length).Take(3).ToList();
        var sampleBytes = sample.Sum(p => new FileInfo(p).Length);
        var csvHelperStringSeconds = await TimeAsync(sample, ParseWithCsvHelperStringsAsync, cancellationToken);
        var csvHelperSpanSeconds = await TimeAsync(sample, ParseWithCsvHelperSpansAsync, cancellationToken);
        var csvHelperBytesSeconds = await TimeAsync(sample, ParseWithCsvHelperBytesAsync, cancellationToken);
        var readerSeconds = await TimeAsync(sample, ParseWithReaderAsync, cancellationToken);

        await service.StopAsync(CancellationToken.None);
        var psqlRate = psqlRows / psqlSeconds;
        var serviceRate = serviceRows / serviceSeconds;
        return new BenchResult(
            [
                new("files loaded (both)", loaded.Count, "files"),
                new("files psql cannot load (left out of both)", excluded.Count, "files"),
                new("rows (both)", psqlRows, "rows"),
                new("data (both)", bytes / 1e6, "MB"),
                new("psql \\copy elapsed", psqlSeconds, "s"),
                new("psql \\copy throughput", psqlRate, "rows/s"),
                new("psql \\copy throughput, MB", bytes / 1e6 / psqlSeconds, "MB/s"),
                new("service elapsed", serviceSeconds, "s"),
                new("service throughput", serviceRate, "rows/s"),
                new("service throughput, MB", bytes / 1e6 / serviceSeconds, "MB/s"),
                new("service / psql", serviceRate / psqlRate, "ratio"),
                new("service peak working set", memory.Peak / 1048576.0, "MiB"),
                new("working set before ingest", memory.Before / 1048576.0, "MiB"),
                new("parse only, CsvHelper 34, string per field", sampleBytes / 1e6 / csvHelperStringSeconds, "MB/s"),
                new("parse only, CsvHelper 34, spans decoded to chars", sampleBytes / 1e6 / csvHelperSpanSeconds, "MB/s"),
                new("parse only, CsvHelper 34, UTF-8 spans", sampleBytes / 1e6 / csvHelperBytesSeconds, "MB/s"),
                new("parse only, CsvRecordReader, UTF-8 spans", sampleBytes / 1e6 / readerSeconds, "MB/s"),
            ],
            new Dictionary<string, string>
            {
                ["patients"] = context.Patients.ToString(CultureInfo.InvariantCulture),
                ["batchRows"] = service.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IngestionOptions>>().Value.BatchRows.ToString(CultureInfo.InvariantCulture),
                ["psql"] = Baseline.PsqlPath,
                ["parseSample"] = string.Join(", ", sample.Select(Path.GetFileName)),
            },
            "Both sides load the same files one after the other on one server; the service's time includes discovery, sha256, "
            + "claims, batch commits and BronzeBatchIngested events. Left out (psql cannot load them): " + string.Join("; ", excluded));
    }

    internal static IHost BuildService(string medallion, string messaging, string landingRoot)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "HealthMedallion.Ingestion", EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = medallion,
            ["ConnectionStrings:messaging"] = messaging,
            ["Landing:Root"] = landingRoot,
            ["Landing:SettleTime"] = "00:00:00",
            ["Landing:ScanInterval"] = "1.00:00:00", // the measured scan is called directly
            ["Ingestion:PipelineEnvironment"] = "bench",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddIngestion();
        return builder.Build();
    }

    /// <summary>
    /// The data set's "now": fixed, so that the files are the same in every run, and in the past, so that refinement,
    /// which judges dates against the day bronze took them, finds none of the clean ones in the future.
    /// </summary>
    internal static readonly DateTimeOffset DataSetAsOf = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Where the --patients N data set is kept between runs and scenarios (generating it is the generator's benchmark).</summary>
    internal static string DataSetFolder(int patients) =>
        Path.Combine(Path.GetTempPath(), "healthmedallion-bench-data", $"dataset-{patients}-{DataSetAsOf:yyyyMMdd}");

    internal static async Task<string> GenerateOnceAsync(string dataSet, int patients, CancellationToken cancellationToken)
    {
        var landing = Path.Combine(dataSet, "landing");
        var done = Path.Combine(dataSet, "complete");
        if (File.Exists(done))
        {
            return landing;
        }

        if (Directory.Exists(dataSet))
        {
            Directory.Delete(dataSet, recursive: true);
        }

        Console.WriteLine($"generating the {patients:N0}-patient data set into {dataSet} (kept for later runs)...");
        var options = new GenerationOptions { Patients = patients, AsOf = DataSetAsOf };
        await DataSetGenerator.GenerateAsync(options, landing, Path.Combine(dataSet, "run"), cancellationToken);
        await File.WriteAllTextAsync(done, DateTimeOffset.UtcNow.ToString("O"), cancellationToken);
        return landing;
    }

    /// <summary>The faster of two passes over the files: the first also pays for the JIT.</summary>
    private static async Task<double> TimeAsync(List<string> files, Func<string, CancellationToken, Task<long>> parse, CancellationToken cancellationToken)
    {
        var best = double.MaxValue;
        for (var pass = 0; pass < 2; pass++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var file in files)
            {
                await parse(file, cancellationToken);
            }

            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }

    private static readonly CsvReaderOptions CsvHelperOptions = CsvReaderOptions.Default with
    {
        Separator = ',',
        HasHeader = true,
        MalformedData = CsvMalformedDataHandling.Recover,
        FieldCountMismatch = CsvFieldCountHandling.Allow,
        BufferSize = 1 << 20,
    };

    /// <summary>CsvHelper as most code uses it: a string per field.</summary>
    private static async Task<long> ParseWithCsvHelperStringsAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var csv = CsvReader.Create(stream, CsvHelperOptions, false);
        long chars = 0;
        while (await csv.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < csv.FieldCount; i++)
            {
                chars += csv.GetString(i).Length;
            }
        }

        return chars;
    }

    /// <summary>CsvHelper without a string per field: each field's UTF-8 decoded into a reused char buffer, as the row writer needs it.</summary>
    private static async Task<long> ParseWithCsvHelperSpansAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var csv = CsvReader.Create(stream, CsvHelperOptions, false);
        var chars = new char[1 << 16];
        long total = 0;
        while (await csv.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < csv.FieldCount; i++)
            {
                var field = csv.GetSpan(i);
                if (chars.Length < field.Length)
                {
                    chars = new char[field.Length * 2];
                }

                total += Encoding.UTF8.GetChars(field, chars);
            }
        }

        return total;
    }

    /// <summary>Our reader, doing what the row writer needs: each field's UTF-8 bytes (validated), no char decoding.</summary>
    private static async Task<long> ParseWithReaderAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var reader = new CsvRecordReader(stream);
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                total += reader.Field(i).Length;
            }
        }

        return total;
    }

    /// <summary>CsvHelper doing the same: each field's UTF-8 bytes.</summary>
    private static async Task<long> ParseWithCsvHelperBytesAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var csv = CsvReader.Create(stream, CsvHelperOptions, false);
        long total = 0;
        while (await csv.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < csv.FieldCount; i++)
            {
                total += csv.GetSpan(i).Length;
            }
        }

        return total;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ingests every file of <paramref name="landing"/> into bronze through the ingestion service, before what a scenario
    /// measures; returns the service's batch size. The service's periodic scan starts with the host and goes over the same
    /// files as the pass here; a file one holds the other skips rather than awaits, so when the pass returns (every file
    /// claimed by one or the other) the other may still be ingesting one: awaited until no file is unfinished. The host is
    /// stopped before any consumer of its events exists: the BronzeBatchIngested events found no queue bound, so RabbitMQ
    /// dropped them and no service refines a batch behind the scenario's back.
    /// </summary>
    internal static async Task<int> IngestIntoBronzeAsync(string medallion, string messaging, string landing, string what, CancellationToken cancellationToken)
    {
        using var ingestion = BuildService(medallion, messaging, landing);
        await ingestion.StartAsync(cancellationToken);
        Console.WriteLine($"ingesting {what} into bronze (not timed)...");
        await ingestion.Services.GetRequiredService<LandingScanner>().ScanOnceAsync(cancellationToken);
        var bronze = ingestion.Services.GetRequiredService<NpgsqlDataSource>();
        var (committed, stalled) = (-1L, Stopwatch.StartNew());
        while (await ScalarAsync(bronze, "SELECT count(*) FROM bronze.files WHERE status = 'ingesting'", cancellationToken) > 0)
        {
            // A file whose ingestion failed stays unfinished (logged above, retried at the next scan a day later): fail, not hang.
            var now = await ScalarAsync(bronze, "SELECT count(*) FROM bronze.batches", cancellationToken);
            (committed, stalled) = now != committed ? (now, Stopwatch.StartNew()) : (committed, stalled);
            if (stalled.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new InvalidOperationException("Ingestion stopped committing batches with files unfinished; see the errors logged above.");
            }

            await Task.Delay(200, cancellationToken);
        }

        var batchRows = ingestion.Services.GetRequiredService<IOptions<IngestionOptions>>().Value.BatchRows;
        await ingestion.StopAsync(CancellationToken.None);
        return batchRows;
    }

    internal static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The baseline: psql's own \copy (CSV parsed by the server) into tables identical to bronze's.</summary>
    private static class Baseline
    {
        public const string PsqlPath = "/usr/bin/psql";

        public static string CreateTablesSql => string.Concat(BronzeTable.All.Select(t => $"""
            CREATE SCHEMA IF NOT EXISTS baseline;
            CREATE TABLE baseline.{t.Entity} (LIKE {t.QualifiedName} INCLUDING ALL);
            CREATE SEQUENCE baseline.{t.Entity}_row_number;
            ALTER TABLE baseline.{t.Entity} ALTER _row_number SET DEFAULT nextval('baseline.{t.Entity}_row_number'), ALTER _pipeline_env SET DEFAULT 'bench';

            """));

        /// <summary>One psql process per file: lineage defaults for the file, then \copy with the header's columns.</summary>
        public static async Task<(bool Ok, double Seconds, string? Error)> CopyAsync(string connectionString, string path, string entity, CancellationToken cancellationToken)
        {
            var table = BronzeTable.For(entity) ?? throw new InvalidOperationException($"no bronze table for {entity}");
            var header = ReadHeader(path);
            var unknown = header.Where(h => !table.SourceColumns.Contains(h)).ToList();
            if (unknown.Count > 0)
            {
                return (false, 0, $"column(s) {string.Join(", ", unknown)} not in the table");
            }

            var info = new FileInfo(path);
            var sourceSystem = SourceSystemOf(path, header);
            var script = $"""
                ALTER SEQUENCE baseline.{entity}_row_number RESTART;
                ALTER TABLE baseline.{entity}
                    ALTER _source_system SET DEFAULT {Literal(sourceSystem)},
                    ALTER _batch_id SET DEFAULT {Literal(Guid.CreateVersion7().ToString())},
                    ALTER _file_name SET DEFAULT {Literal(info.Name)},
                    ALTER _file_path SET DEFAULT {Literal(info.FullName)},
                    ALTER _file_size SET DEFAULT {info.Length},
                    ALTER _file_modification_time SET DEFAULT {Literal(info.LastWriteTimeUtc.ToString("O", CultureInfo.InvariantCulture))};
                \copy baseline.{entity} ({string.Join(", ", header.Select(h => $"\"{h}\""))}) FROM {Literal(info.FullName)} WITH (FORMAT csv, HEADER true)
                """;
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo(PsqlPath, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", builder.Host!, "-p", builder.Port.ToString(CultureInfo.InvariantCulture), "-U", builder.Username!, "-d", builder.Database!])
            {
                RedirectStandardInput = true,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.Environment["PGPASSWORD"] = builder.Password;
            var clock = Stopwatch.StartNew();
            using var psql = Process.Start(start)!;
            await psql.StandardInput.WriteAsync(script);
            psql.StandardInput.Close();
            var errors = psql.StandardError.ReadToEndAsync(cancellationToken);
            await psql.StandardOutput.ReadToEndAsync(cancellationToken);
            await psql.WaitForExitAsync(cancellationToken);
            var seconds = clock.Elapsed.TotalSeconds;
            return psql.ExitCode == 0 ? (true, seconds, null) : (false, seconds, (await errors).Trim().ReplaceLineEndings(" "));
        }

        private static List<string> ReadHeader(string path)
        {
            using var reader = new StreamReader(path);
            return [.. (reader.ReadLine() ?? "").Split(',').Select(h => h.Trim().Trim('"').ToLowerInvariant())];
        }

        private static string SourceSystemOf(string path, List<string> header)
        {
            using var reader = new StreamReader(path);
            reader.ReadLine();
            var first = (reader.ReadLine() ?? "").Split(',');
            var index = header.IndexOf("source_system");
            return index >= 0 && index < first.Length ? first[index] : "UNKNOWN";
        }

        private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }
}
