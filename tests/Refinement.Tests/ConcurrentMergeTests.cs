using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Tests.Support;
using HealthMedallion.TestSupport;
using Npgsql;

namespace HealthMedallion.Refinement.Tests;

/// <summary>
/// Two batches of one entity merge at once (<see cref="SilverLock"/>). When they share a key, the second must end where
/// it would had they taken turns. The other batch is played here by a transaction held open on the key, so that the
/// batch under test meets it every time, not only when the timing happens to let it.
/// </summary>
public sealed class ConcurrentMergeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly RefinementPipeline _pipeline = new();

    public async Task InitializeAsync()
    {
        await _pipeline.InitializeAsync();
        var patient = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_1.csv", (
            "patient_id, first_name, last_name, date_of_birth, gender, source_system, \"timestamp\"",
            "'P74000001', 'Ann', 'Lee', '1970-01-01', 'Female', 'EHR_SYSTEM', '2026-01-01T00:00:00Z'"));
        await _pipeline.Refiner.RefineAsync(patient, CancellationToken.None);
    }

    public Task DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task AKeyAnotherWriterInsertsFirst_FailsTheBatchOnce_WhichIsThenRefinedAgainstIt()
    {
        // Arrange: another writer has inserted claim C74000001 from an earlier file, not committed yet.
        var batch = await _pipeline.BronzeBatchAsync("claims", "CLAIMS_SYSTEM", "claims_b.csv", Claim("C74000001", "250.00"));
        await using var other = await BeginAsync();
        await ExecuteAsync(other, """
            INSERT INTO silver.claims (claim_id, patient_id, source_patient_id, claim_amount, claim_date, diagnosis_code, claim_status,
                claim_category, source_system, content_hash, _batch_id, _file_name, _row_number)
            VALUES ('C74000001', 'P74000001', 'P74000001', 100.00, '2026-01-05', 'E11.9', 'paid', 'outpatient', 'CLAIMS_SYSTEM', 1,
                gen_random_uuid(), 'claims_a.csv', 1)
            """);

        // Act: the batch waits for the other writer's key; the other commits.
        var refining = _pipeline.Refiner.RefineAsync(batch, CancellationToken.None);
        Assert.True(await SomeoneWaitsOnARowAsync(), "the batch should wait for the other writer's key");
        await ExecuteAsync(other, "COMMIT");
        var refined = await refining.WaitAsync(Patience);

        // Assert: written on its second attempt, as the later version of the key.
        Assert.Equal((SilverBatch.Refined, 1L), (refined!.Status, refined.RowsWritten));
        Assert.Equal(250.00m, await _pipeline.ScalarAsync<decimal>("SELECT claim_amount FROM silver.claims WHERE claim_id = 'C74000001'"));
        Assert.Equal(["claims_a.csv:replaced"], await _pipeline.QueryAsync(
            "SELECT _file_name || ':' || reason FROM silver.superseded WHERE business_key = 'C74000001'", r => r.GetString(0)));
        Assert.Contains(_pipeline.Logs.Entries, e => e.Message.Contains("met a concurrent write", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AKeyAnotherWriterUpdates_IsComparedWithWhatItWrote()
    {
        // Arrange: claim C74000002 in silver from claims_a.csv; another writer replaces it with claims_c.csv's version, not committed yet.
        await _pipeline.Refiner.RefineAsync(
            await _pipeline.BronzeBatchAsync("claims", "CLAIMS_SYSTEM", "claims_a.csv", Claim("C74000002", "100.00")), CancellationToken.None);
        var batch = await _pipeline.BronzeBatchAsync("claims", "CLAIMS_SYSTEM", "claims_b.csv", Claim("C74000002", "250.00"));
        await using var other = await BeginAsync();
        await ExecuteAsync(other,
            "UPDATE silver.claims SET claim_amount = 300.00, content_hash = 3, _file_name = 'claims_c.csv' WHERE claim_id = 'C74000002'");

        // Act: the batch waits for the other writer's row; the other commits.
        var refining = _pipeline.Refiner.RefineAsync(batch, CancellationToken.None);
        Assert.True(await SomeoneWaitsOnARowAsync(), "the batch should wait for the row the other writer changes");
        await ExecuteAsync(other, "COMMIT");
        var refined = await refining.WaitAsync(Patience);

        // Assert: claims_b.csv's row is older than what silver holds now, claims_c.csv's, which stays.
        Assert.Equal((SilverBatch.Refined, 0L, 1L), (refined!.Status, refined.RowsWritten, refined.RowsSuperseded));
        Assert.Equal(300.00m, await _pipeline.ScalarAsync<decimal>("SELECT claim_amount FROM silver.claims WHERE claim_id = 'C74000002'"));
        Assert.Equal(["claims_b.csv:older_version:claims_c.csv"], await _pipeline.QueryAsync(
            "SELECT concat_ws(':', _file_name, reason, superseded_by_file_name) FROM silver.superseded WHERE business_key = 'C74000002'",
            r => r.GetString(0)));
    }

    private static (string, string) Claim(string id, string amount) => (
        "claim_id, patient_id, claim_date, claim_amount, diagnosis_code, procedure_code, claim_status, source_system",
        $"'{id}', 'P74000001', '05-Jan-2026', '{amount}', 'E11.9', '99213', 'PAID', 'CLAIMS_SYSTEM'");

    private async Task<NpgsqlConnection> BeginAsync()
    {
        var connection = await _pipeline.Database.OpenConnectionAsync();
        await ExecuteAsync(connection, "BEGIN");
        return connection;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Whether a server process of this database is (soon) seen waiting for another transaction's row or key.</summary>
    private Task<bool> SomeoneWaitsOnARowAsync() => Eventually.TrueAsync(
        () => _pipeline.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')"),
        Patience);
}
