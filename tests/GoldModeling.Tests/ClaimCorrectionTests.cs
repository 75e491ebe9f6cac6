using HealthMedallion.GoldModeling.Tests.Support;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>
/// A claims batch of corrections, as refinement's merge leaves them in silver: claims re-stated (amount, status), moved to
/// another date (some off a patient's first or last claim date) or to another patient, with silver's risk categories
/// re-rated from the new totals. The incremental path moves the facts, the claim marts and patient 360 by the delta
/// instead of recomputing them, so it must give exactly what a rebuild gives.
/// </summary>
public sealed class ClaimCorrectionTests(DefaultDataSet data) : IClassFixture<DefaultDataSet>
{
    private readonly GoldPipeline _pipeline = data.Pipeline;

    [Fact]
    public async Task CorrectionsBatch_GivesExactlyTheTablesARebuildGives()
    {
        // Arrange: every fifth claim re-stated, every 23rd moved a year back (off its patient's dates, often the first or
        // last), every 41st handed to another patient; then the risk categories refinement would give the new totals.
        var batch = Guid.NewGuid();
        await _pipeline.ExecuteAsync($"""
            INSERT INTO silver.batches (batch_id, entity, file_id, file_name, status, bronze_rows, rows_written)
            VALUES ('{batch}', 'claims', '{batch}', 'claim-corrections.csv', 'refined', 0, 0);
            WITH numbered AS (SELECT claim_id, row_number() OVER (ORDER BY claim_id) AS n FROM silver.claims),
                 patients AS (SELECT patient_id, row_number() OVER (ORDER BY patient_id) AS n, count(*) OVER () AS total FROM silver.patients)
            UPDATE silver.claims c
            SET claim_amount = CASE WHEN x.n % 5 = 0 THEN c.claim_amount * 3 + 0.01 ELSE c.claim_amount END,
                claim_status = CASE WHEN x.n % 5 = 0 THEN CASE c.claim_status WHEN 'submitted' THEN 'approved' WHEN 'approved' THEN 'paid' ELSE 'denied' END
                                    ELSE c.claim_status END,
                claim_date = CASE WHEN x.n % 23 = 0 THEN c.claim_date - 365 ELSE c.claim_date END,
                patient_id = CASE WHEN x.n % 41 = 0 THEN (SELECT p.patient_id FROM patients p WHERE p.n = 1 + x.n % p.total) ELSE c.patient_id END,
                _batch_id = '{batch}', processed_at = now()
            FROM numbered x
            WHERE x.claim_id = c.claim_id AND (x.n % 5 = 0 OR x.n % 23 = 0 OR x.n % 41 = 0);
            UPDATE silver.patients p
            SET patient_risk_category = silver.risk_category(p.age_years, p.bmi, p.smoker, t.total)
            FROM (SELECT patient_id, sum(claim_amount) AS total FROM silver.claims GROUP BY patient_id) t
            WHERE t.patient_id = p.patient_id AND p.patient_risk_category <> silver.risk_category(p.age_years, p.bmi, p.smoker, t.total);
            """);
        var corrected = await _pipeline.ScalarAsync<long>($"SELECT count(*) FROM silver.claims WHERE _batch_id = '{batch}'");
        var p360Before = await _pipeline.SnapshotAsync();

        // Act
        var applied = await _pipeline.Model.ApplyBatchAsync(batch, "claims", CancellationToken.None);
        var incremental = await _pipeline.SnapshotAsync();
        await _pipeline.Model.RebuildAsync(CancellationToken.None);

        // Assert: the batch changed patient claims rows, and gold is what a rebuild makes of the corrected silver.
        Assert.True(corrected > 100, $"the batch should correct claims, corrected {corrected}");
        Assert.True(applied.AffectedPatients > 50, $"patient claims rows should change, {applied.AffectedPatients} did");
        Assert.NotEqual(p360Before["gold.mart_patient_claims"], incremental["gold.mart_patient_claims"]);
        GoldPipeline.AssertSame(await _pipeline.SnapshotAsync(), incremental, "after the corrections batch (rebuild expected, incremental actual)");
    }
}
