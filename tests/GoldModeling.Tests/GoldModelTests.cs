using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.GoldModeling.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>
/// The star schema after the default data set went through the real pipeline batch by batch: SCD2 invariants, point-in-time
/// fact keys, facts equal to silver, and incremental equal to rebuild.
/// </summary>
public sealed class GoldModelTests(DefaultDataSet data) : IClassFixture<DefaultDataSet>
{
    private readonly GoldPipeline _pipeline = data.Pipeline;

    [Fact]
    public async Task DimPatients_HasExactlyOneCurrentVersion_PerLivePatient()
    {
        var silverPatients = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.patients");
        var current = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.dim_patients WHERE is_current");
        var patientsWithoutOne = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM silver.patients s
            WHERE (SELECT count(*) FROM gold.dim_patients d WHERE d.patient_id = s.patient_id AND d.is_current) <> 1
            """);

        Assert.True(silverPatients > DefaultDataSet.Patients / 2, $"silver should have the data set's patients, has {silverPatients}");
        Assert.Equal(silverPatients, current);
        Assert.Equal(0, patientsWithoutOne);
    }

    [Fact]
    public async Task DimPatients_Intervals_AreContiguous_WithoutGapsOrOverlaps()
    {
        var broken = await _pipeline.QueryAsync("""
            SELECT patient_id || ' ' || effective_from || '..' || effective_to || ' next from ' || coalesce(next_from::text, '-')
            FROM (SELECT patient_id, effective_from, effective_to, is_current,
                         lead(effective_from) OVER (PARTITION BY patient_id ORDER BY effective_from) AS next_from
                  FROM gold.dim_patients) v
            WHERE (next_from IS NOT NULL AND next_from <> effective_to)
               OR (next_from IS NULL AND NOT is_current AND effective_to = 'infinity')
               OR effective_from >= effective_to
            LIMIT 5
            """, r => r.GetString(0));

        Assert.Empty(broken);
    }

    [Fact]
    public async Task DimPatients_CurrentVersion_IsSilversGoldenRecord()
    {
        var differing = await _pipeline.QueryAsync("""
            SELECT s.patient_id FROM silver.patients s JOIN gold.dim_patients d ON d.patient_id = s.patient_id AND d.is_current
            WHERE (s.age_years, s.sex, coalesce(s.region, 'UNKNOWN'), s.zip3, s.bmi, s.smoker, s.children, s.charges, coalesce(s.insurance_plan, 'UNKNOWN'), s.coverage_start_date)
                  IS DISTINCT FROM (d.age_years, d.sex, d.region, d.zip3, d.bmi, d.smoker, d.children, d.charges, d.insurance_plan, d.coverage_start_date)
            LIMIT 5
            """, r => r.GetString(0));

        Assert.Empty(differing);
    }

    [Fact]
    public async Task Facts_AreSilversRows_EachOnce_WithThePatientVersionInEffectAtTheirDate()
    {
        var claims = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.claims");
        var events = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.medical_events");
        var claimFacts = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_claims f JOIN silver.claims c USING (claim_id) WHERE c.claim_amount = f.claim_amount AND c.claim_status = f.claim_status AND c.patient_id = f.patient_id");
        var eventFacts = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_medical_events f JOIN silver.medical_events e USING (event_id) WHERE e.event_date = f.event_date AND e.patient_id = f.patient_id");
        var wrongVersion = await _pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM (
                SELECT f.claim_id FROM gold.fact_claims f JOIN gold.dim_patients d ON d.patient_sk = f.patient_sk
                WHERE d.patient_id <> f.patient_id
                   OR (f.claim_date::timestamp AT TIME ZONE 'UTC' >= d.effective_to)
                   OR (f.claim_date::timestamp AT TIME ZONE 'UTC' < d.effective_from
                       AND EXISTS (SELECT 1 FROM gold.dim_patients e WHERE e.patient_id = d.patient_id AND e.effective_from < d.effective_from))
                UNION ALL
                SELECT f.event_id FROM gold.fact_medical_events f JOIN gold.dim_patients d ON d.patient_sk = f.patient_sk
                WHERE d.patient_id <> f.patient_id OR f.event_date >= d.effective_to
                   OR (f.event_date < d.effective_from
                       AND EXISTS (SELECT 1 FROM gold.dim_patients e WHERE e.patient_id = d.patient_id AND e.effective_from < d.effective_from))
            ) wrong
            """);

        Assert.True(claims > 1000, $"the data set should give claims, gave {claims}");
        Assert.Equal(claims, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_claims"));
        Assert.Equal(claims, claimFacts);
        Assert.Equal(events, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.fact_medical_events"));
        Assert.Equal(events, eventFacts);
        Assert.Equal(0, wrongVersion);
    }

    [Fact]
    public async Task Rebuild_GivesExactlyTheTablesTheIncrementalPathGave()
    {
        // Arrange: gold as the batches built it, and its keys and indexes as the migrations made them.
        var incremental = await _pipeline.SnapshotAsync();
        Assert.True(incremental["gold.fact_claims"].Count > 1000, "the data set should give claim facts");
        const string Indexes = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'gold' ORDER BY indexdef";
        var indexes = await _pipeline.QueryAsync(Indexes, r => r.GetString(0));

        // Act
        using var client = _pipeline.CreateClient();
        using var response = await client.PostAsync(new Uri("/api/gold/rebuild", UriKind.Relative), null);

        // Assert: the same rows, and every key and index the rebuild's steps dropped is back.
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        GoldPipeline.AssertSame(incremental, await _pipeline.SnapshotAsync(), "after a rebuild");
        Assert.Equal(indexes, await _pipeline.QueryAsync(Indexes, r => r.GetString(0)));
    }

    [Fact]
    public async Task Rebuild_WaitsForGoldsLock_SoThatNoBatchRunsInsideIt()
    {
        // Arrange: another writer of gold holds its lock (as a batch being applied does).
        await using var writer = await _pipeline.Database.OpenConnectionAsync();
        await using (var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(x'601D0001'::bigint)", writer))
        {
            await take.ExecuteNonQueryAsync();
        }

        // Act: the rebuild starts, and waits.
        var rebuild = _pipeline.Model.RebuildAsync(CancellationToken.None);
        var waited = await Task.WhenAny(rebuild, Task.Delay(TimeSpan.FromSeconds(2))) != rebuild;
        await using (var release = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(x'601D0001'::bigint)", writer))
        {
            await release.ExecuteNonQueryAsync();
        }

        // Assert: it ran once the lock was free, and released it at the end.
        Assert.True(waited, "the rebuild should wait while gold's lock is held");
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.patients"),
            (await rebuild).AffectedPatients);
        Assert.True(await _pipeline.ScalarAsync<bool>("SELECT pg_try_advisory_xact_lock(x'601D0001'::bigint)"), "the rebuild should release gold's lock");
    }

    [Fact]
    public async Task FirstRebuild_IntoAnEmptyRecordVersionLog_CapturesSilverAndRebuildsTheLogsKey()
    {
        // Arrange: a new deployment over an existing silver: gold's record-version log is empty.
        await _pipeline.ExecuteAsync("TRUNCATE gold.patient_record_versions");

        // Act: the first rebuild fills the log without its key (built at the end); a second one finds everything captured.
        await _pipeline.Model.RebuildAsync(CancellationToken.None);
        var first = await _pipeline.SnapshotAsync();
        var logged = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.patient_record_versions");
        var keys = await _pipeline.ScalarAsync<long>(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'gold.patient_record_versions'::regclass AND contype = 'p'");
        await _pipeline.Model.RebuildAsync(CancellationToken.None);

        // Assert: one version per silver record, the key back, and the same gold either way.
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.patient_records"), logged);
        Assert.Equal(1, keys);
        Assert.Equal(logged, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.patient_record_versions"));
        GoldPipeline.AssertSame(first, await _pipeline.SnapshotAsync(), "after a rebuild that found the log filled");
    }

    [Fact]
    public async Task Rebuild_CapturesTheRecordsOfABatchGoldHasNotApplied()
    {
        // Arrange: a patients batch gold has no record of (as if refined while a rebuild ran), its records' versions not in the log.
        var batch = await _pipeline.ScalarAsync<Guid>("SELECT batch_id FROM gold.batches WHERE entity = 'patients' ORDER BY batch_id LIMIT 1");
        var logged = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.patient_record_versions");
        var before = await _pipeline.SnapshotAsync();
        await _pipeline.ExecuteAsync($"""
            DELETE FROM gold.patient_record_versions v USING silver.patient_records r
            WHERE r._batch_id = '{batch}' AND v.source_system = r.source_system AND v.source_patient_id = r.source_patient_id
              AND v.valid_from = coalesce(r.source_updated_at, '-infinity');
            DELETE FROM gold.batches WHERE batch_id = '{batch}';
            """);
        var removed = logged - await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.patient_record_versions");

        // Act: the rebuild captures the records of the batches gold has not applied (and trusts the log for the others).
        await _pipeline.Model.RebuildAsync(CancellationToken.None);
        var swept = await _pipeline.Services.GetRequiredService<GoldSweep>().SweepOnceAsync(CancellationToken.None);

        // Assert: the versions are back, the batch is applied and announced, and gold is what it was.
        Assert.True(removed > 0, "the batch should own some of silver's patient records");
        Assert.Equal(logged, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.patient_record_versions"));
        Assert.Equal(0, swept);
        Assert.Equal(1, await _pipeline.ScalarAsync<long>($"SELECT count(*) FROM gold.batches WHERE batch_id = '{batch}' AND published_at IS NOT NULL"));
        GoldPipeline.AssertSame(before, await _pipeline.SnapshotAsync(), "after a rebuild that captured the batch again");
    }

    [Fact]
    public async Task EveryAppliedBatch_IsRecordedAndAnnounced()
    {
        var refined = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.batches WHERE status = 'refined'");
        var unannounced = await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.batches WHERE published_at IS NULL");

        Assert.Equal(refined, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM gold.batches g JOIN silver.batches s USING (batch_id)"));
        Assert.Equal(0, unannounced);
    }

    [Fact]
    public async Task Sweep_AppliesABatchWhoseEventNeverCame_AndChangesNothingElse()
    {
        // Arrange: a claims batch gold has no record of, as if its SilverBatchRefined had been lost.
        var batch = await _pipeline.ScalarAsync<Guid>("SELECT batch_id FROM gold.batches WHERE entity = 'claims' ORDER BY batch_id LIMIT 1");
        var before = await _pipeline.SnapshotAsync();
        await _pipeline.ExecuteAsync($"DELETE FROM gold.batches WHERE batch_id = '{batch}'");

        // Act
        var swept = await _pipeline.Services.GetRequiredService<GoldSweep>().SweepOnceAsync(CancellationToken.None);

        // Assert: applied and announced again; the model was already right, so it is unchanged.
        Assert.Equal(1, swept);
        Assert.Equal(1, await _pipeline.ScalarAsync<long>($"SELECT count(*) FROM gold.batches WHERE batch_id = '{batch}' AND published_at IS NOT NULL"));
        GoldPipeline.AssertSame(before, await _pipeline.SnapshotAsync(), "after the sweep");
    }
}
