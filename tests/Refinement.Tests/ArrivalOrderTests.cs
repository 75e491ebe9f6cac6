using HealthMedallion.Refinement.Orphans;
using HealthMedallion.Refinement.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace HealthMedallion.Refinement.Tests;

/// <summary>
/// Silver must not depend on the order in which bronze batches arrive: the same batches refined as they came, in
/// reverse (every claim and event before its patient) and shuffled give the same silver tables.
/// </summary>
public sealed class ArrivalOrderTests : IAsyncLifetime
{
    private readonly RefinementPipeline _pipeline = new();

    public async Task InitializeAsync()
    {
        await _pipeline.InitializeAsync();
        var generated = await _pipeline.GenerateAsync(RefinementPipeline.Options(2_000, seed: 7));
        await _pipeline.LandAsync(generated.Files.Select(f => f.Path));
    }

    public Task DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task SilverTables_AreTheSame_WhateverTheOrderOfArrival()
    {
        // Arrange: the batches as they arrived, and the silver they gave.
        var batches = await _pipeline.QueryAsync("SELECT batch_id FROM bronze.batches ORDER BY committed_at, sequence", r => r.GetGuid(0));
        Assert.True(batches.Count >= 6, $"expected a batch per file, got {batches.Count}");
        var asArrived = await SnapshotAsync();
        Assert.True(asArrived["silver.claims"].Count > 1000, "the data set should give silver claims");

        foreach (var (name, order) in new[]
        {
            ("reversed", Enumerable.Reverse(batches).ToList()),
            ("shuffled", batches.OrderBy(_ => Random.Shared.Next()).ToList()),
        })
        {
            // Act: silver emptied, the same bronze batches refined again in another order.
            await ClearSilverAsync();
            foreach (var batch in order)
            {
                await _pipeline.Refiner.RefineAsync(batch, CancellationToken.None);
            }

            // Assert
            var again = await SnapshotAsync();
            foreach (var (table, rows) in asArrived)
            {
                var other = again[table];
                var firstDifference = rows.Zip(other).FirstOrDefault(p => p.First != p.Second);
                Assert.True(rows.SequenceEqual(other),
                    $"{table} differs when refined {name}: {rows.Count} rows as arrived, {other.Count} now; first difference: {firstDifference.First} vs {firstDifference.Second}");
            }
        }
    }

    /// <summary>Every silver (and pii) table as sorted JSON rows, without the columns that record when something was done.</summary>
    private async Task<Dictionary<string, List<string>>> SnapshotAsync()
    {
        await _pipeline.Services.GetRequiredService<PendingOrphans>().ExpireAsync(TimeSpan.Zero, CancellationToken.None);
        var snapshot = new Dictionary<string, List<string>>();
        foreach (var table in new[] { "silver.patients", "silver.patient_records", "silver.claims", "silver.medical_events", "pii.patient_records" })
        {
            snapshot[table] = await RowsAsync($"SELECT (to_jsonb(t) - 'processed_at')::text FROM {table} t ORDER BY 1");
        }

        snapshot["silver.patient_identity_map"] = await RowsAsync("SELECT (to_jsonb(t) - 'resolved_at')::text FROM silver.patient_identity_map t ORDER BY 1");
        snapshot["silver.quarantine"] = await RowsAsync("SELECT (to_jsonb(t) - 'quarantined_at')::text FROM silver.quarantine t ORDER BY 1");
        snapshot["pending"] = await RowsAsync("SELECT _batch_id || ':' || _row_number FROM silver.pending_claims UNION ALL SELECT _batch_id || ':' || _row_number FROM silver.pending_medical_events");

        // A row superseded by a later version is 'older_version' when it comes second and 'replaced' when it came first.
        snapshot["silver.superseded"] = await RowsAsync("""
            SELECT concat_ws('|', entity, business_key, _batch_id, _row_number, CASE reason WHEN 'replaced' THEN 'older_version' ELSE reason END,
                             superseded_by_batch_id, superseded_by_row)
            FROM silver.superseded ORDER BY 1
            """);
        return snapshot;
    }

    private Task<List<string>> RowsAsync(string sql) => _pipeline.QueryAsync(sql, r => r.GetString(0));

    private Task ClearSilverAsync() => _pipeline.ExecuteAsync("""
        TRUNCATE silver.batches, silver.patient_records, silver.patient_identity_map, silver.patient_identity_history, silver.patients,
                 silver.claims, silver.medical_events, silver.pending_claims, silver.pending_medical_events, silver.quarantine,
                 silver.superseded, pii.patient_records, quality.expectation_results
        """);
}
