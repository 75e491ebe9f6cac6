extern alias refinement;

using HealthMedallion.GoldModeling.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using BatchRefiner = refinement::HealthMedallion.Refinement.Batches.BatchRefiner;
using PendingOrphans = refinement::HealthMedallion.Refinement.Orphans.PendingOrphans;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>
/// Gold must not depend on the order in which silver batches arrive: the same bronze batches refined and modeled as
/// they came, with every claim and event file before the patients, and in reverse, give the same gold.
/// </summary>
public sealed class ArrivalOrderTests : IAsyncLifetime
{
    private readonly GoldPipeline _pipeline = new();

    public async Task InitializeAsync()
    {
        await _pipeline.InitializeAsync();
        var generated = await _pipeline.GenerateAsync(2_000, seed: 7);
        await _pipeline.LandAsync(generated.Files.Select(f => f.Path));
    }

    public Task DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task Gold_IsTheSame_WhateverTheOrderOfArrival()
    {
        // Arrange: the batches as they arrived, and the gold they gave (pending orphans settled, as silver's own test does).
        await ExpireOrphansAsync();
        var batches = await _pipeline.QueryAsync("SELECT batch_id, entity FROM bronze.batches ORDER BY committed_at, sequence", r => (Id: r.GetGuid(0), Entity: r.GetString(1)));
        Assert.True(batches.Count >= 6, $"expected a batch per file, got {batches.Count}");
        var asArrived = await _pipeline.SnapshotAsync(LivePatientsOnly);
        await AssertAbsorbedVersionsAreClosedAndUnusedAsync();
        Assert.True(asArrived["gold.fact_claims"].Count > 1000, "the data set should give claim facts");
        Assert.True(asArrived["gold.dim_patients"].Count > 1000, "the data set should give patient versions");

        foreach (var (name, order) in new[]
        {
            ("facts first", batches.Where(b => b.Entity != "patients").Concat(batches.Where(b => b.Entity == "patients")).ToList()),
            ("reversed", Enumerable.Reverse(batches).ToList()),
        })
        {
            // Act: silver and gold emptied, the same bronze batches refined and modeled again, one by one, in another order.
            await ClearAsync();
            foreach (var (batch, entity) in order)
            {
                await _pipeline.RefinementServices.GetRequiredService<BatchRefiner>().RefineAsync(batch, CancellationToken.None);
                await _pipeline.Model.ApplyBatchAsync(batch, entity, CancellationToken.None);
            }

            await ExpireOrphansAsync();

            // Assert
            GoldPipeline.AssertSame(asArrived, await _pipeline.SnapshotAsync(LivePatientsOnly), $"when the batches arrive {name}");
            await AssertAbsorbedVersionsAreClosedAndUnusedAsync();
        }
    }

    /// <summary>
    /// Silver records a patient that a merge absorbed only when its record arrived before the one it merged with (an ADT
    /// record before its EHR record gets a patient id of its own for a while): which absorbed patients exist depends on
    /// the arrival order in silver itself, so their closed versions are compared apart from the rest.
    /// </summary>
    private const string LivePatientsOnly = "patient_id IN (SELECT patient_id FROM silver.patient_identity_map)";

    /// <summary>Every version of a patient no longer in silver is closed, was absorbed by a merge, and no fact or mart row uses it.</summary>
    private async Task AssertAbsorbedVersionsAreClosedAndUnusedAsync()
    {
        var wrong = await _pipeline.QueryAsync("""
            SELECT d.patient_id FROM gold.dim_patients d
            WHERE d.patient_id NOT IN (SELECT patient_id FROM silver.patient_identity_map)
              AND (d.is_current OR d.effective_to = 'infinity'
                   OR NOT EXISTS (SELECT 1 FROM silver.patient_identity_history h WHERE h.old_patient_id = d.patient_id)
                   OR EXISTS (SELECT 1 FROM gold.fact_claims f WHERE f.patient_sk = d.patient_sk)
                   OR EXISTS (SELECT 1 FROM gold.fact_medical_events f WHERE f.patient_sk = d.patient_sk)
                   OR EXISTS (SELECT 1 FROM gold.mart_patient_360 p WHERE p.patient_id = d.patient_id)
                   OR EXISTS (SELECT 1 FROM gold.mart_patient_claims p WHERE p.patient_id = d.patient_id))
            """, r => r.GetString(0));
        Assert.Empty(wrong);
    }

    /// <summary>Claims and events still waiting for their patient are quarantined now (refinement's grace period); silver's facts stay as they are.</summary>
    private Task ExpireOrphansAsync() =>
        _pipeline.RefinementServices.GetRequiredService<PendingOrphans>().ExpireAsync(TimeSpan.Zero, CancellationToken.None);

    private Task ClearAsync() => _pipeline.ExecuteAsync("""
        TRUNCATE silver.batches, silver.patient_records, silver.patient_identity_map, silver.patient_identity_history, silver.patients,
                 silver.claims, silver.medical_events, silver.pending_claims, silver.pending_medical_events, silver.quarantine,
                 silver.superseded, pii.patient_records, quality.expectation_results;
        TRUNCATE gold.batches, gold.patient_record_versions, gold.patient_members, gold.dim_patients, gold.fact_claims, gold.fact_medical_events,
                 gold.mart_claims_cost, gold.mart_claims_cost_all_years, gold.mart_monthly_financials, gold.mart_utilization, gold.mart_weekly_events, gold.provider_patients,
                 gold.mart_provider_performance, gold.mart_patient_360, gold.mart_patient_claims, gold.mart_risk_stratification,
                 gold.mart_hipaa_compliance;
        """);
}
