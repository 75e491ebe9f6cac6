using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HealthMedallion.Contracts;
using HealthMedallion.Hosting;
using HealthMedallion.Ingestion.Bronze;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.Refinement;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>
/// The refinement service's hot path against a plain SQL <c>INSERT ... SELECT</c> doing only the type casts, in the
/// same run on the same server: the ingest scenario's data set (--patients N) ingested into bronze by the ingestion
/// service (not timed), then (1) one statement per entity casts bronze into typed tables, (2) the refinement service
/// refines every bronze batch in commit order, two at a time as its consumer does (read, parse, standardize, validate,
/// de-identify, resolve identity, quarantine, merge, ledger, events). The service's outcome is checked before anything
/// is reported.
/// </summary>
public sealed class RefineScenario : IScenario
{
    public string Name => "refine";

    public string Description => "Refine --patients N bronze data set into silver vs INSERT ... SELECT with casts only (rows/s per entity, ratio, memory)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        // The ingest scenario's data set, shared with it (generating it is the generator's benchmark, not this one).
        var dataSet = IngestScenario.DataSetFolder(context.Patients);
        var landing = await IngestScenario.GenerateOnceAsync(dataSet, context.Patients, cancellationToken);

        await using var servers = await BenchContext.StartPipelineServersAsync(context.CreateBuilder("refine"), cancellationToken);
        var connectionString = servers.Postgres;
        var messaging = servers.Messaging;

        // 0. Bronze, by the ingestion service (not timed).
        var batchRows = await IngestScenario.IngestIntoBronzeAsync(connectionString, messaging, landing, $"the {context.Patients:N0}-patient data set", cancellationToken);

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var batches = new List<(Guid BatchId, string Entity, long Rows)>();
        await using (var command = dataSource.CreateCommand("SELECT batch_id, entity, rows FROM bronze.batches ORDER BY committed_at, sequence"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                batches.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var rows = Entities.All.ToDictionary(e => e, e => batches.Where(b => b.Entity == e).Sum(b => b.Rows));
        var totalRows = rows.Values.Sum();

        // 1. The baseline: one INSERT ... SELECT per entity, casts only, on one connection (its time zone set to the sources' UTC).
        await using (var setup = dataSource.CreateCommand(Baseline.CreateSql))
        {
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        var baselineSeconds = new Dictionary<string, double>();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            await using (var zone = new NpgsqlCommand("SET TimeZone = 'UTC'", connection))
            {
                await zone.ExecuteNonQueryAsync(cancellationToken);
            }

            foreach (var entity in Entities.All)
            {
                await using var insert = new NpgsqlCommand(Baseline.InsertSql(entity), connection) { CommandTimeout = 0 };
                var clock = Stopwatch.StartNew();
                var inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
                baselineSeconds[entity] = clock.Elapsed.TotalSeconds;
                if (inserted != rows[entity])
                {
                    throw new InvalidOperationException($"The baseline inserted {inserted} {entity} rows; bronze.batches records {rows[entity]}.");
                }
            }
        }

        // 2. The service, as Program.cs builds it minus Kestrel, started only now (see above); each batch refined in commit order.
        using var problems = new LogProblems();
        using var phases = new PhaseLog();
        using var service = BuildService(connectionString, messaging, problems, phases);
        await service.StartAsync(cancellationToken);
        var refiner = service.Services.GetRequiredService<BatchRefiner>();

        await using var memory = new WorkingSetSampler(collectFirst: true);

        // Two batches at a time, taken in commit order, as the service's consumer takes them (ConcurrentMessageLimit 2):
        // one is read and transformed while the other merges, and a claims batch merges while an events batch does.
        var serviceSeconds = new ConcurrentDictionary<string, double>(Entities.All.ToDictionary(e => e, _ => 0.0));
        var wall = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (batch, token) =>
        {
            var clock = Stopwatch.StartNew();
            _ = await refiner.RefineAsync(batch.BatchId, token)
                ?? throw new InvalidOperationException($"The refiner found no bronze batch {batch.BatchId}.");
            serviceSeconds.AddOrUpdate(batch.Entity, _ => clock.Elapsed.TotalSeconds, (_, seconds) => seconds + clock.Elapsed.TotalSeconds);
        });

        var wallSeconds = wall.Elapsed.TotalSeconds;
        await memory.StopAsync();
        await service.StopAsync(CancellationToken.None);

        // 3. The outcome, checked before anything is reported: one refined record per bronze batch, every row accounted for.
        var totals = await CheckAsync(dataSource, batches, problems, cancellationToken);
        Console.WriteLine("where the service's time went, per batch (its own log):");
        foreach (var line in phases)
        {
            Console.WriteLine($"  {line}");
        }

        var baselineTotal = baselineSeconds.Values.Sum();
        var baselineRate = totalRows / baselineTotal;
        var serviceRate = totalRows / wallSeconds;
        var metrics = new List<Metric> { new("rows (both)", totalRows, "rows"), new("bronze batches", batches.Count, "batches") };
        metrics.AddRange(Entities.All.Select(e => new Metric($"rows, {e}", rows[e], "rows")));
        metrics.AddRange(Entities.All.Select(e => new Metric($"baseline throughput, {e}", rows[e] / baselineSeconds[e], "rows/s")));
        metrics.Add(new("baseline elapsed", baselineTotal, "s"));
        metrics.Add(new("baseline throughput", baselineRate, "rows/s"));
        metrics.AddRange(Entities.All.Select(e => new Metric($"service throughput, {e}", rows[e] / serviceSeconds[e], "rows/s")));
        metrics.Add(new("service elapsed", wallSeconds, "s"));
        metrics.Add(new("service throughput", serviceRate, "rows/s"));
        metrics.Add(new("service / baseline", serviceRate / baselineRate, "ratio"));
        metrics.Add(new("service peak working set", memory.Peak / 1048576.0, "MiB"));
        metrics.Add(new("working set before refinement", memory.Before / 1048576.0, "MiB"));
        metrics.Add(new("silver rows written", totals.Written, "rows"));
        metrics.Add(new("silver rows quarantined", totals.Quarantined, "rows"));
        metrics.Add(new("silver rows superseded", totals.Superseded, "rows"));
        metrics.Add(new("silver rows pending", totals.Pending, "rows"));
        return new BenchResult(
            metrics,
            new Dictionary<string, string>
            {
                ["patients"] = context.Patients.ToString(CultureInfo.InvariantCulture),
                ["batchRows"] = batchRows.ToString(CultureInfo.InvariantCulture),
                ["transformChunkRows"] = service.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RefinementOptions>>().Value.TransformChunkRows
                    .ToString(CultureInfo.InvariantCulture),
            },
            "Both sides read the same bronze tables on one server, the baseline first (so both find bronze in the page cache). "
            + "Baseline: per entity one INSERT ... SELECT into typed tables, nothing but casts: dates and times parsed with their "
            + "source's format when a regex says the text has its shape (else NULL), through a plpgsql function whose EXCEPTION "
            + "block turns a date that does not exist (2021-02-30: to_date raises) into NULL; numbers cast when a regex allows. "
            + "Service: BatchRefiner.RefineAsync per bronze batch in commit order, two at a time as its consumer takes them (read by binary COPY, "
            + "parse, standardize, validate, de-identify, resolve identity, quarantine, stage, merge, ledger, SilverBatchRefined "
            + "event); per entity the sum of its batches' calls (which overlap, and include waiting for the lock), overall the "
            + "wall time of the loop.");
    }

    private static IHost BuildService(string medallion, string messaging, LogProblems problems, PhaseLog phases)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "HealthMedallion.Refinement", EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = medallion,
            ["ConnectionStrings:messaging"] = messaging,
            ["Refinement:SsnHashKey"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            ["Refinement:SweepInterval"] = "1.00:00:00", // the measured loop refines every batch itself
            ["Refinement:CatchUpAfter"] = "3650.00:00:00", // the sweep also runs once at start: it must not take batches ingested minutes ago
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(problems);
        builder.Logging.AddFilter<LogProblems>(typeof(BronzeBatchIngestedConsumer).FullName, LogLevel.Information);
        builder.Logging.AddProvider(phases);
        builder.Logging.AddFilter<PhaseLog>(typeof(BatchRefiner).FullName, LogLevel.Information);
        builder.Logging.AddFilter<PhaseLog>(typeof(ProbabilisticIdentityResolver).FullName, LogLevel.Information);
        builder.AddServiceDefaults();
        builder.AddRefinement();
        return builder.Build();
    }

    private static async Task<(long Written, long Quarantined, long Superseded, long Pending)> CheckAsync(
        NpgsqlDataSource dataSource, List<(Guid BatchId, string Entity, long Rows)> batches, LogProblems problems, CancellationToken cancellationToken)
    {
        if (!problems.IsEmpty)
        {
            throw new InvalidOperationException($"The refinement host logged what makes the figures wrong: {string.Join(" | ", problems.Take(5))}");
        }

        var recorded = new Dictionary<Guid, (string Status, long BronzeRows, long Written, long Quarantined, long Superseded, long Pending, long Rejected)>();
        await using (var command = dataSource.CreateCommand(
            "SELECT batch_id, status, bronze_rows, rows_written, rows_quarantined, rows_superseded, rows_pending, rows_rejected FROM silver.batches"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                recorded[reader.GetGuid(0)] = (reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7));
            }
        }

        if (recorded.Count != batches.Count)
        {
            throw new InvalidOperationException($"silver.batches has {recorded.Count} records for {batches.Count} bronze batches.");
        }

        foreach (var (batchId, entity, rows) in batches)
        {
            if (!recorded.TryGetValue(batchId, out var r))
            {
                throw new InvalidOperationException($"Bronze batch {batchId} ({entity}) has no silver.batches record.");
            }

            if (r.Status != SilverBatch.Refined || r.BronzeRows != rows || r.Written + r.Quarantined + r.Superseded + r.Pending + r.Rejected != rows)
            {
                throw new InvalidOperationException(
                    $"Bronze batch {batchId} ({entity}, {rows} rows) is recorded as {r.Status} with {r.BronzeRows} bronze rows = {r.Written} written + "
                    + $"{r.Quarantined} quarantined + {r.Superseded} superseded + {r.Pending} pending + {r.Rejected} rejected.");
            }
        }

        var all = recorded.Values;
        return (all.Sum(r => r.Written), all.Sum(r => r.Quarantined), all.Sum(r => r.Superseded), all.Sum(r => r.Pending));
    }


    /// <summary>
    /// A logger provider that keeps the lines it is told to keep (<see cref="Keeps"/>, as <see cref="Line"/> writes them).
    /// Each use is a type of its own, so that the host's logging filters can name it.
    /// </summary>
    private abstract class LogCapture : ConcurrentQueue<string>, ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        protected abstract bool Keeps(LogLevel level, string category);

        protected abstract string Line(LogLevel level, string category, string message, Exception? exception);

        private sealed class Logger(LogCapture capture, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => capture.Keeps(logLevel, category);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (capture.Keeps(logLevel, category))
                {
                    capture.Enqueue(capture.Line(logLevel, category, formatter(state, exception), exception));
                }
            }
        }
    }

    /// <summary>
    /// What the refinement host logs that would make the figures wrong: an error anywhere, a warning of the service, or
    /// any batch the bus delivered to the consumer (refined behind the measured loop's back).
    /// </summary>
    private sealed class LogProblems : LogCapture
    {
        protected override bool Keeps(LogLevel level, string category) =>
            level >= LogLevel.Error || category.StartsWith("HealthMedallion.Refinement", StringComparison.Ordinal);

        protected override string Line(LogLevel level, string category, string message, Exception? exception) =>
            $"{level} {category}: {message}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}";
    }

    /// <summary>
    /// The service's own account of each batch (read, transform, wait for the lock, write) and of each identity resolution
    /// (read, compare, model, cluster, write): the Information lines of the two categories the filters let through.
    /// </summary>
    private sealed class PhaseLog : LogCapture
    {
        protected override bool Keeps(LogLevel level, string category) => level == LogLevel.Information;

        protected override string Line(LogLevel level, string category, string message, Exception? exception) => message;
    }

    /// <summary>
    /// The baseline: typed tables in <c>baseline_silver</c> and one <c>INSERT ... SELECT</c> per entity that does only the
    /// casts. Each source writes dates its own way and some values are garbage, so a plain cast would abort the statement:
    /// a value is parsed with its source's format when a regex says it has that shape, and is NULL otherwise.
    /// </summary>
    private static class Baseline
    {
        // Source system, the shape its text must have, the format that parses it.
        private static readonly (string Source, string Pattern, string Format)[] Dates =
        [
            ("EHR_SYSTEM", @"^\d{4}-\d{2}-\d{2}$", "YYYY-MM-DD"),
            ("ADT_SYSTEM", @"^\d{2}/\d{2}/\d{4}$", "MM/DD/YYYY"),
            ("LAB_SYSTEM", @"^\d{8}$", "YYYYMMDD"),
            ("CLAIMS_SYSTEM", @"^\d{2}-[A-Za-z]{3}-\d{4}$", "DD-Mon-YYYY"),
        ];

        private static readonly (string Source, string Pattern, string Format)[] Timestamps =
        [
            ("EHR_SYSTEM", @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\""),
            ("ADT_SYSTEM", @"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", "YYYY-MM-DD HH24:MI:SS"),
            ("LAB_SYSTEM", @"^\d{14}$", "YYYYMMDDHH24MISS"),
        ];

        // The typed columns (type, cast); every other source column stays text.
        private static readonly Dictionary<string, Dictionary<string, (string Type, string Cast)>> Typed = new(StringComparer.Ordinal)
        {
            [Entities.Patients] = new(StringComparer.Ordinal)
            {
                ["date_of_birth"] = ("date", Parse("date_of_birth", "try_date", Dates)),
                ["coverage_start_date"] = ("date", Parse("coverage_start_date", "try_date", Dates)),
                ["bmi"] = ("numeric", Number("bmi", "numeric")),
                ["children"] = ("int", Number("children", "int")),
                ["charges"] = ("numeric", Number("charges", "numeric")),
                ["timestamp"] = ("timestamptz", Parse("timestamp", "try_timestamp", Timestamps)),
            },
            [Entities.Claims] = new(StringComparer.Ordinal)
            {
                ["claim_amount"] = ("numeric", Number("claim_amount", "numeric")),
                ["claim_date"] = ("date", Parse("claim_date", "try_date", Dates)),
            },
            [Entities.MedicalEvents] = new(StringComparer.Ordinal)
            {
                ["event_date"] = ("timestamptz", Parse("event_date", "try_timestamp", Timestamps)),
                ["lab_value"] = ("numeric", Number("lab_value", "numeric")),
            },
        };

        /// <summary>
        /// The schema, the tables, and the two parsers: to_date and to_timestamp raise on a value that has the shape but
        /// is no date (2021-02-30, 25:00:00), which would abort the whole statement; the EXCEPTION block makes it NULL.
        /// </summary>
        public static string CreateSql => """
            CREATE SCHEMA baseline_silver;
            CREATE FUNCTION baseline_silver.try_date(value text, format text) RETURNS date LANGUAGE plpgsql STABLE STRICT AS $$
            BEGIN
                RETURN to_date(value, format);
            EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
                RETURN NULL;
            END $$;
            CREATE FUNCTION baseline_silver.try_timestamp(value text, format text) RETURNS timestamptz LANGUAGE plpgsql STABLE STRICT AS $$
            BEGIN
                RETURN to_timestamp(value, format);
            EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
                RETURN NULL;
            END $$;

            """ + string.Concat(BronzeTable.All.Select(t => $"""
            CREATE TABLE baseline_silver.{t.Entity} ({string.Join(", ", t.SourceColumns.Select(c => $"\"{c}\" {(Typed[t.Entity].TryGetValue(c, out var typed) ? typed.Type : "text")}"))});

            """));

        public static string InsertSql(string entity)
        {
            var table = BronzeTable.For(entity) ?? throw new InvalidOperationException($"no bronze table for {entity}");
            return $"""
                INSERT INTO baseline_silver.{entity}
                SELECT {string.Join(", ", table.SourceColumns.Select(c => Typed[entity].TryGetValue(c, out var typed) ? typed.Cast : $"\"{c}\""))}
                FROM {table.QualifiedName}
                """;
        }

        /// <summary><c>CASE _source_system WHEN 'EHR_SYSTEM' THEN CASE WHEN "x" ~ '^...$' THEN baseline_silver.try_date("x", 'YYYY-MM-DD') END ... END</c>.</summary>
        private static string Parse(string column, string function, (string Source, string Pattern, string Format)[] formats) =>
            $"CASE _source_system {string.Concat(formats.Select(f => $"WHEN '{f.Source}' THEN CASE WHEN \"{column}\" ~ '{f.Pattern}' THEN baseline_silver.{function}(\"{column}\", '{f.Format}') END "))}END";

        /// <summary>A cast that cannot fail once the regex matched (numeric has no practical range; int takes nine digits).</summary>
        private static string Number(string column, string type) =>
            $"CASE WHEN \"{column}\" ~ '{(type == "int" ? @"^-?\d{1,9}$" : @"^-?\d+(\.\d+)?$")}' THEN \"{column}\"::{type} END";
    }
}
