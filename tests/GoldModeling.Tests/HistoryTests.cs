extern alias generator;

using generator::HealthMedallion.Generator.Generation;
using HealthMedallion.GoldModeling.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>
/// History: a population landed, then an increment in which the EHR resends some of those people with a move or a plan
/// change, stamped later. The dimension must open a version at the source's timestamp, close the old one there, keep
/// facts on the version in effect at their date, and survive a rebuild and a redelivery unchanged.
/// </summary>
public sealed class HistoryTests : IClassFixture<HistoryTests.Increment>
{
    private const int Updated = 300;
    private readonly GoldPipeline _pipeline;

    public HistoryTests(Increment data)
    {
        ArgumentNullException.ThrowIfNull(data);
        _pipeline = data.Pipeline;
    }

    /// <summary>2,000 patients, then 100 new ones and 300 resent with a change, ten minutes later.</summary>
    public sealed class Increment : IAsyncLifetime
    {
        public GoldPipeline Pipeline { get; } = new();

        public async Task InitializeAsync()
        {
            await Pipeline.InitializeAsync();
            var asOf = GenerationOptions.TruncateToMinute(DateTimeOffset.UtcNow.AddMinutes(-20));
            var first = await Pipeline.GenerateAsync(new GenerationOptions { Patients = 2_000, Seed = 21, AsOf = asOf });
            await Pipeline.LandAsync(first.Files.Select(f => f.Path));
            var increment = await Pipeline.GenerateAsync(new GenerationOptions
            {
                Patients = 100, Seed = 21, AsOf = asOf.AddMinutes(10), PatientOffset = 2_000, UpdatedPatients = Updated,
            });
            await Pipeline.LandAsync(increment.Files.Select(f => f.Path));
        }

        public Task DisposeAsync() => Pipeline.DisposeAsync();
    }

    [Fact]
    public async Task ResentPatients_GetANewCurrentVersion_AtTheSourceTimestamp_AndTheOldOneIsClosedThere()
    {
        // The EHR records the increment changed: their latest version in the log is the one silver holds now.
        var opened = await _pipeline.QueryAsync("""
            SELECT m.patient_id, r.source_updated_at,
                   (SELECT count(*) FROM gold.dim_patients d WHERE d.patient_id = m.patient_id) AS versions,
                   (SELECT d.effective_from FROM gold.dim_patients d WHERE d.patient_id = m.patient_id AND d.is_current) AS current_from,
                   (SELECT count(*) FROM gold.dim_patients d WHERE d.patient_id = m.patient_id AND d.effective_to = r.source_updated_at) AS closed_there
            FROM silver.patient_records r
            JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
            WHERE r.source_system = 'EHR_SYSTEM' AND r.source_updated_at > now() - interval '1 hour'
              -- ... and its version before differs in a tracked attribute (a move within the same ZIP3 changes nothing gold keeps).
              AND EXISTS (SELECT 1 FROM gold.patient_record_versions now, gold.patient_record_versions before
                          WHERE now.source_system = r.source_system AND now.source_patient_id = r.source_patient_id
                            AND now.valid_from = r.source_updated_at
                            AND before.source_system = r.source_system AND before.source_patient_id = r.source_patient_id
                            AND before.valid_from = (SELECT max(valid_from) FROM gold.patient_record_versions b
                                                     WHERE b.source_system = r.source_system AND b.source_patient_id = r.source_patient_id
                                                       AND b.valid_from < r.source_updated_at)
                            AND (now.region, now.zip3, now.insurance_plan) IS DISTINCT FROM (before.region, before.zip3, before.insurance_plan))
            """, r => (Patient: r.GetString(0), At: r.GetFieldValue<DateTimeOffset>(1), Versions: r.GetInt64(2),
                       CurrentFrom: r.GetFieldValue<DateTimeOffset>(3), ClosedThere: r.GetInt64(4)));

        Assert.True(opened.Count >= Updated * 8 / 10, $"most of the {Updated} resent records should have changed, {opened.Count} did");
        Assert.All(opened, p =>
        {
            Assert.True(p.Versions >= 2, $"{p.Patient} should have its old and new version, has {p.Versions}");
            Assert.Equal(p.At, p.CurrentFrom);
            Assert.Equal(1, p.ClosedThere);
        });
    }

    [Fact]
    public async Task ClaimsBeforeTheChange_KeepTheOldVersion_WithItsRegionAndPlan()
    {
        var (old, wrong) = (
            await _pipeline.ScalarAsync<long>("""
                SELECT count(*) FROM gold.fact_claims f JOIN gold.dim_patients d ON d.patient_sk = f.patient_sk
                WHERE NOT d.is_current AND f.region = d.region AND f.insurance_plan = d.insurance_plan
                """),
            await _pipeline.ScalarAsync<long>("""
                SELECT count(*) FROM gold.fact_claims f
                JOIN gold.dim_patients d ON d.patient_id = f.patient_id
                 AND f.claim_date::timestamp AT TIME ZONE 'UTC' >= d.effective_from AND f.claim_date::timestamp AT TIME ZONE 'UTC' < d.effective_to
                WHERE d.patient_sk <> f.patient_sk
                """));

        Assert.True(old > 100, $"claims made before the change should point at closed versions, {old} do");
        Assert.Equal(0, wrong);
    }

    [Fact]
    public async Task Invariants_HoldAfterTheIncrement()
    {
        var notOneCurrent = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM silver.patients s
            WHERE (SELECT count(*) FROM gold.dim_patients d WHERE d.patient_id = s.patient_id AND d.is_current) <> 1
            """);
        var gapsOrOverlaps = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM (SELECT effective_to, lead(effective_from) OVER (PARTITION BY patient_id ORDER BY effective_from) AS next_from
                                  FROM gold.dim_patients) v
            WHERE next_from IS NOT NULL AND next_from <> effective_to
            """);
        var samePrevious = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM (
                SELECT (age_years, sex, region, zip3, bmi, smoker, children, charges, insurance_plan, coverage_start_date) AS tracked,
                       lag((age_years, sex, region, zip3, bmi, smoker, children, charges, insurance_plan, coverage_start_date))
                           OVER (PARTITION BY patient_id ORDER BY effective_from) AS previous
                FROM gold.dim_patients) v
            WHERE tracked IS NOT DISTINCT FROM previous
            """);

        Assert.Equal(0, notOneCurrent);
        Assert.Equal(0, gapsOrOverlaps);
        Assert.Equal(0, samePrevious); // an unchanged record opens nothing
    }

    [Fact]
    public async Task Rebuild_KeepsTheHistory_AndGivesTheIncrementalTables()
    {
        var incremental = await _pipeline.SnapshotAsync();

        await _pipeline.Model.RebuildAsync(CancellationToken.None);

        GoldPipeline.AssertSame(incremental, await _pipeline.SnapshotAsync(), "after a rebuild of a history");
    }

    [Fact]
    public async Task RedeliveredBatch_ChangesNothing()
    {
        // Arrange: the increment's EHR batch, applied once already.
        var batch = await _pipeline.ScalarAsync<Guid>("""
            SELECT b.batch_id FROM gold.batches b WHERE b.entity = 'patients' ORDER BY b.applied_at DESC LIMIT 1
            """);
        var before = await _pipeline.SnapshotAsync();
        var ledger = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.batches");

        // Act: the same event again, on the bus, and the same batch straight to the model.
        await _pipeline.Services.GetRequiredService<MassTransit.IBus>().Publish(new HealthMedallion.Contracts.SilverBatchRefined(batch, "patients", 1, 1, 0));
        var again = await _pipeline.Model.ApplyBatchAsync(batch, "patients", CancellationToken.None);

        // Assert
        Assert.True(again.AlreadyApplied);
        await _pipeline.Logs.WaitForAsync(e => e.Message.Contains(batch.ToString(), StringComparison.Ordinal) && e.Message.StartsWith("Received", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15));
        GoldPipeline.AssertSame(before, await _pipeline.SnapshotAsync(), "after a redelivery");
        Assert.Equal(ledger, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.batches"));
    }
}
