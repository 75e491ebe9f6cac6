using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Patients;
using HealthMedallion.Refinement.Tests.Support;
using HealthMedallion.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace HealthMedallion.Refinement.Tests;

/// <summary>
/// A patient batch with another queued behind it leaves its records' identity resolution to that one (the backlog), so
/// that a bulk load resolves once; a record never waits for a batch that will not resolve it. The batches are written to
/// bronze here without their events (<see cref="RefinementPipeline.BronzeBatchAsync"/>) and refined in the order each test says.
/// </summary>
public sealed class IdentityBacklogTests : IAsyncLifetime
{
    private readonly RefinementPipeline _pipeline = new();

    public Task InitializeAsync() => _pipeline.InitializeAsync();

    public Task DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task APatientBatchWithAnotherQueuedBehindIt_LeavesItsRecordsToIt_WhichResolvesBoth()
    {
        // Arrange: an EHR file, then a claims file and an ADT file with the EHR record's MRN, all in bronze before any is refined.
        var ehr = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_1.csv", EhrPatient("P71000001"));
        var claims = await _pipeline.BronzeBatchAsync("claims", "CLAIMS_SYSTEM", "claims_1.csv", Claim("C7100000001", "P71000001"));
        var adt = await _pipeline.BronzeBatchAsync("patients", "ADT_SYSTEM", "patients_adt_1.csv", AdtPatient("A71000001", "MRN71000001"));

        // Act 1: the EHR batch, with the ADT batch queued behind it, then the claims.
        await RefineAsync(ehr);
        await RefineAsync(claims);

        // Assert 1: the EHR record is in silver, waiting in the backlog without a patient; its claim waits for it.
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM silver.patient_records WHERE source_patient_id = 'P71000001'"));
        Assert.Equal(["EHR_SYSTEM:P71000001"], await BacklogAsync());
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM silver.patient_identity_map"));
        Assert.Equal((1L, 0L), await PendingAndWrittenAsync(claims));

        // Act 2: the ADT batch, the last one queued.
        await RefineAsync(adt);

        // Assert 2: both records resolved together (the ADT record joins the EHR's patient), the claim released onto it.
        Assert.Empty(await BacklogAsync());
        Assert.Equal(["ADT_SYSTEM:A71000001:P71000001", "EHR_SYSTEM:P71000001:P71000001"], await MapAsync());
        Assert.Equal((0L, 1L), await PendingAndWrittenAsync(claims));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM silver.claims WHERE patient_id = 'P71000001'"));
        Assert.Equal(2L, await CountAsync("SELECT source_records::bigint FROM silver.patients WHERE patient_id = 'P71000001'"));
    }

    [Fact]
    public async Task RecordsLeftToABatchThatIsRejected_AreResolvedByTheSweep()
    {
        // Arrange: the EHR batch defers to the batch behind it, which is rejected whole (its rows claim another source).
        var ehr = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_2.csv", EhrPatient("P72000001"));
        var misrouted = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_3.csv", EhrPatient("P72000002", rowSource: "LAB_SYSTEM"));
        await RefineAsync(ehr);
        Assert.Equal(SilverBatch.Failed, (await RefineAsync(misrouted)).Status);
        Assert.Equal(["EHR_SYSTEM:P72000001"], await BacklogAsync());

        // Act
        await _pipeline.Services.GetRequiredService<PatientResolution>().ResolveStrandedAsync(CancellationToken.None);

        // Assert: resolved, and nothing more to do.
        Assert.Empty(await BacklogAsync());
        Assert.Equal(["EHR_SYSTEM:P72000001:P72000001"], await MapAsync());
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM silver.patients WHERE patient_id = 'P72000001'"));
        Assert.False(await _pipeline.Services.GetRequiredService<PatientResolution>().ResolveStrandedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ABacklogOlderThanMaxDeferral_IsResolvedByTheNextPatientBatch_EvenWithAnotherQueued()
    {
        // Arrange: a record that has waited an hour (the default limit is 15 minutes), and two batches queued.
        var first = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_4.csv", EhrPatient("P73000001"));
        var second = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_5.csv", EhrPatient("P73000002"));
        var third = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_6.csv", EhrPatient("P73000003"));
        await RefineAsync(first);
        await _pipeline.ExecuteAsync("UPDATE silver.identity_backlog SET queued_at = now() - interval '1 hour'");

        // Act: the second batch, with the third still queued behind it.
        await RefineAsync(second);

        // Assert: it resolved the waiting record and its own; the sweep finds nothing stranded while the third is queued.
        Assert.Empty(await BacklogAsync());
        Assert.Equal(["EHR_SYSTEM:P73000001:P73000001", "EHR_SYSTEM:P73000002:P73000002"], await MapAsync());
        Assert.False(await _pipeline.Services.GetRequiredService<PatientResolution>().ResolveStrandedAsync(CancellationToken.None));
        await RefineAsync(third);
        Assert.Equal(3, (await MapAsync()).Count);
    }

    [Fact]
    public async Task ABatchExpectingToDefer_WhoseSuccessorIsRefinedMeanwhile_IsWrittenAgainAlone_AndResolves()
    {
        // Arrange: A expects to leave its records to B; a writer alone holds the lock, so A waits for it, sharing.
        var a = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_7.csv", EhrPatient("P75000001"));
        var b = await _pipeline.BronzeBatchAsync("patients", "EHR_SYSTEM", "patients_ehr_8.csv", EhrPatient("P75000002"));
        await using var writer = await _pipeline.Database.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await SilverLock.AcquireAsync(writer, CancellationToken.None);
        var refining = RefineAsync(a);
        Assert.True(await Eventually.TrueAsync(() => _pipeline.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory')"), TimeSpan.FromSeconds(30)),
            "A should wait for the writer alone");

        // Act: meanwhile B is recorded as refined (rejected: it wrote nothing), and the writer commits.
        await using (var record = new NpgsqlCommand($"""
            INSERT INTO silver.batches (batch_id, entity, file_id, file_name, status, bronze_rows, rows_written, rows_quarantined, rows_superseded,
                rows_pending, rows_rejected, rows_warned, failed_expectations, duration_ms)
            SELECT batch_id, 'patients', file_id, 'patients_ehr_8.csv', 'failed', 1, 0, 0, 0, 0, 1, 0, ARRAY['valid_source_system'], 0
            FROM bronze.batches WHERE batch_id = '{b}'
            """, writer))
        {
            await record.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
        var refined = await refining.WaitAsync(TimeSpan.FromSeconds(30));

        // Assert: A found nobody left to resolve its records, and was written again, alone, resolving them.
        Assert.Equal(SilverBatch.Refined, refined.Status);
        Assert.Empty(await BacklogAsync());
        Assert.Equal(["EHR_SYSTEM:P75000001:P75000001"], await MapAsync());
        Assert.Contains(_pipeline.Logs.Entries, e => e.Message.Contains("writing it again", StringComparison.Ordinal));
    }

    private static (string, string) EhrPatient(string id, string rowSource = "EHR_SYSTEM") => (
        "patient_id, mrn, first_name, last_name, date_of_birth, gender, zip_code, source_system, \"timestamp\"",
        $"'{id}', 'MRN{id[1..]}', 'Jane', 'Doe', '1950-02-02', 'Female', '10001', '{rowSource}', '2026-01-01T00:00:00Z'");

    private static (string, string) AdtPatient(string id, string mrn) => (
        "patient_id, mrn, first_name, last_name, date_of_birth, gender, zip_code, source_system, \"timestamp\"",
        $"'{id}', '{mrn}', 'Jane', 'Doe', '02/02/1950', 'F', '10001', 'ADT_SYSTEM', '2026-02-01 08:00:00'");

    private static (string, string) Claim(string id, string patient) => (
        "claim_id, patient_id, claim_date, claim_amount, diagnosis_code, procedure_code, claim_status, source_system",
        $"'{id}', '{patient}', '05-Jan-2026', '125.00', 'E11.9', '99213', 'PAID', 'CLAIMS_SYSTEM'");

    private async Task<SilverBatch> RefineAsync(Guid batchId) =>
        await _pipeline.Refiner.RefineAsync(batchId, CancellationToken.None) ?? throw new InvalidOperationException($"no bronze batch {batchId}");

    /// <summary>The records the backlog's batches wrote.</summary>
    private Task<List<string>> BacklogAsync() => _pipeline.QueryAsync("""
        SELECT r.source_system || ':' || r.source_patient_id FROM silver.identity_backlog b JOIN silver.patient_records r ON r._batch_id = b.batch_id ORDER BY 1
        """, r => r.GetString(0));

    private Task<List<string>> MapAsync() =>
        _pipeline.QueryAsync("SELECT concat_ws(':', source_system, source_patient_id, patient_id) FROM silver.patient_identity_map ORDER BY 1", r => r.GetString(0));

    private async Task<(long Pending, long Written)> PendingAndWrittenAsync(Guid batchId) => Assert.Single(await _pipeline.QueryAsync(
        $"SELECT rows_pending, rows_written FROM silver.batches WHERE batch_id = '{batchId}'", r => (r.GetInt64(0), r.GetInt64(1))));

    private Task<long> CountAsync(string sql) => _pipeline.ScalarAsync<long>(sql);
}
