using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using HealthMedallion.Hosting;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.Refinement;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Identity;
using HealthMedallion.Refinement.Patients;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>
/// Probabilistic identity resolution of the source patient records of the --patients N data set (EHR, ADT and LAB
/// registrations with the generator's default shares). Not timed: the patient files ingested into bronze and refined
/// into silver by the services (every batch resolved incrementally, as in production; its time is reported apart).
/// Timed: one resolution of every source record from scratch (map, history, models and review queue emptied first;
/// the name keys are stored by refinement with each record, as its standardized forms are), through the service's own resolver in one transaction: one bulk read, blocking, comparison, model
/// estimation (u from random pairs, m by EM), clustering, and the writes of map, history, review queue and figures.
/// Then the map is judged against the generator's ground truth (pairwise precision, recall, F1).
/// </summary>
public sealed class IdentityScenario : IScenario
{
    public string Name => "identity";

    public string Description => "Resolve the patient records of --patients N from scratch: records/s, candidate pairs per record, precision/recall/F1 against the truth";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var dataSet = IngestScenario.DataSetFolder(context.Patients);
        var landing = await IngestScenario.GenerateOnceAsync(dataSet, context.Patients, cancellationToken);

        await using var servers = await BenchContext.StartPipelineServersAsync(context.CreateBuilder("identity"), cancellationToken);
        var connectionString = servers.Postgres;
        var messaging = servers.Messaging;

        // 0. Only the patient files, into bronze (not timed).
        var patientsLanding = Path.Combine(context.DataRoot, "identity-landing");
        Directory.CreateDirectory(Path.Combine(patientsLanding, "patients"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(landing, "patients"), "*.csv"))
        {
            File.Copy(file, Path.Combine(patientsLanding, "patients", Path.GetFileName(file)), overwrite: true);
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await IngestScenario.IngestIntoBronzeAsync(connectionString, messaging, patientsLanding, $"the patient files of the {context.Patients:N0}-patient data set", cancellationToken);

        // 1. Refined into silver by the service, batch by batch, each resolved incrementally (not the measure).
        using var service = BuildService(connectionString, messaging);
        await service.StartAsync(cancellationToken);
        var refiner = service.Services.GetRequiredService<BatchRefiner>();
        var batches = new List<Guid>();
        await using (var command = dataSource.CreateCommand("SELECT batch_id FROM bronze.batches ORDER BY committed_at, sequence"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                batches.Add(reader.GetGuid(0));
            }
        }

        Console.WriteLine($"refining {batches.Count} patient batches (identity resolved incrementally, not the measure)...");
        var pipelineClock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            _ = await refiner.RefineAsync(batch, cancellationToken) ?? throw new InvalidOperationException($"no bronze batch {batch}");
        }

        var pipelineSeconds = pipelineClock.Elapsed.TotalSeconds;
        var pipelineAccuracy = await AccuracyAsync(dataSource, dataSet, cancellationToken);

        // 2. The measure: every source record resolved from scratch in one transaction.
        await ExecuteAsync(dataSource, """
            TRUNCATE silver.patient_identity_map, silver.patient_identity_history, silver.identity_review, silver.identity_models,
                     silver.identity_quality;
            """, cancellationToken);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE silver.patient_records", cancellationToken);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE pii.patient_records", cancellationToken);
        var resolver = (ProbabilisticIdentityResolver)service.Services.GetRequiredService<IPatientIdentityResolver>();
        IdentityResolutionReport report;
        var clock = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await using (var touched = new NpgsqlCommand("""
                CREATE TEMP TABLE touched_patient_records ON COMMIT DROP AS
                SELECT source_system, source_patient_id FROM silver.patient_records;
                ANALYZE touched_patient_records;
                """, connection) { CommandTimeout = 0 })
            {
                await touched.ExecuteNonQueryAsync(cancellationToken);
            }

            await PatientGoldenRecords.BeginAsync(connection, cancellationToken);
            report = await resolver.ResolveWithReportAsync(connection, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await service.StopAsync(CancellationToken.None);
        var accuracy = await AccuracyAsync(dataSource, dataSet, cancellationToken);

        var metrics = new List<Metric>
        {
            new("source records", report.Records, "records"),
            new("resolution elapsed", seconds, "s"),
            new("resolution throughput", report.Records / seconds, "records/s"),
            new("candidate pairs", report.CandidatePairs, "pairs"),
            new("candidate pairs per record", (double)report.CandidatePairs / report.Records, "pairs/record"),
            new("auto-links", report.AutoLinks, "pairs"),
            new("review queue", report.ReviewPairs, "pairs"),
            new("phase read (records read, stale keys written)", report.Read.TotalSeconds, "s"),
            new("phase block + compare", report.Compare.TotalSeconds, "s"),
            new("phase estimate model", report.Estimate.TotalSeconds, "s"),
            new("phase cluster", report.Cluster.TotalSeconds, "s"),
            new("phase write (map, history, review, figures)", report.Write.TotalSeconds, "s"),
            new("estimated prior (match share of candidate pairs)", report.Prior, "ratio"),
            new("precision", accuracy.Precision, "ratio"),
            new("recall", accuracy.Recall, "ratio"),
            new("F1", accuracy.F1, "ratio"),
            new("true pairs", accuracy.TruePairs, "pairs"),
            new("predicted pairs", accuracy.PredictedPairs, "pairs"),
            new("pipeline: patient batches refined, incremental identity", pipelineSeconds, "s"),
            new("pipeline precision", pipelineAccuracy.Precision, "ratio"),
            new("pipeline recall", pipelineAccuracy.Recall, "ratio"),
            new("pipeline F1", pipelineAccuracy.F1, "ratio"),
        };
        return new BenchResult(
            metrics,
            new Dictionary<string, string>
            {
                ["patients"] = context.Patients.ToString(CultureInfo.InvariantCulture),
                ["patientBatches"] = batches.Count.ToString(CultureInfo.InvariantCulture),
            },
            "Timed: ProbabilisticIdentityResolver.ResolveWithReportAsync over every source patient record (touched = all) after "
            + "the identity tables were emptied, in one transaction, committed. Accuracy: pairwise over the resolved source records "
            + "against the generator's identities.csv (same person_id = same person). The pipeline figures are the same data refined "
            + "batch by batch beforehand, each batch resolved incrementally.");
    }

    private static async Task<(double Precision, double Recall, double F1, long TruePairs, long PredictedPairs)> AccuracyAsync(
        NpgsqlDataSource dataSource, string dataSet, CancellationToken cancellationToken)
    {
        var person = new Dictionary<(string, string), string>();
        foreach (var line in File.ReadLines(Path.Combine(dataSet, "run", "identities.csv")).Skip(1))
        {
            var f = line.Split(',');
            person[(f[1], f[2])] = f[0];
        }

        var records = new List<(string Patient, string Person)>();
        await using (var command = dataSource.CreateCommand("SELECT source_system, source_patient_id, patient_id FROM silver.patient_identity_map"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = (reader.GetString(0), reader.GetString(1));
                records.Add((reader.GetString(2), person.GetValueOrDefault(key) ?? $"unknown:{key}"));
            }
        }

        static long Pairs(IEnumerable<int> sizes) => sizes.Sum(n => (long)n * (n - 1) / 2);
        var truePairs = Pairs(records.GroupBy(r => r.Person).Select(g => g.Count()));
        var predicted = Pairs(records.GroupBy(r => r.Patient).Select(g => g.Count()));
        var both = Pairs(records.GroupBy(r => r).Select(g => g.Count()));
        var precision = predicted == 0 ? 1 : (double)both / predicted;
        var recall = truePairs == 0 ? 1 : (double)both / truePairs;
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall), truePairs, predicted);
    }

    private static IHost BuildService(string medallion, string messaging)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "HealthMedallion.Refinement", EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = medallion,
            ["ConnectionStrings:messaging"] = messaging,
            ["Refinement:SsnHashKey"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
            ["Refinement:SweepInterval"] = "1.00:00:00",
            ["Refinement:CatchUpAfter"] = "3650.00:00:00",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("HealthMedallion.Refinement.Identity", LogLevel.Information);
        builder.AddServiceDefaults();
        builder.AddRefinement();
        return builder.Build();
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
