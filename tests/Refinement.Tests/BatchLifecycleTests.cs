using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Orphans;
using HealthMedallion.Refinement.Tests.Support;
using HealthMedallion.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HealthMedallion.Refinement.Tests;

/// <summary>What happens to batches over time: late patients, orphans, a rejected batch, redelivery, a lost event.</summary>
public sealed class BatchLifecycleTests : IAsyncLifetime
{
    private const string PatientHeader =
        "patient_id,mrn,first_name,last_name,date_of_birth,gender,address_line1,city,state,zip_code,phone,email,ssn,insurance_id,insurance_plan,coverage_start_date,bmi,smoker,children,charges,source_system,timestamp";

    private const string ClaimHeader = "claim_id,patient_id,claim_date,claim_amount,diagnosis_code,procedure_code,claim_status,source_system";

    private readonly RefinementPipeline _pipeline = new();

    public Task InitializeAsync() => _pipeline.InitializeAsync();

    public Task DisposeAsync() => _pipeline.DisposeAsync();

    [Fact]
    public async Task ClaimsOfAPatientNotYetKnown_WaitPending_AndAreReleasedWhenThePatientArrives()
    {
        // Arrange: the claims come first.
        await _pipeline.LandCsvAsync("claims", "claims_early.csv", Csv(ClaimHeader, Claim("C1000000001", "P70000001"), Claim("C1000000002", "P70000001")));
        var claimsBatch = await BatchOfAsync("claims_early.csv");
        Assert.Equal((2L, 0L), (claimsBatch.RowsPending, claimsBatch.RowsWritten));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM silver.claims WHERE claim_id LIKE 'C100000000_'"));

        // Act: the patient arrives in a later file.
        await _pipeline.LandCsvAsync("patients", "patients_late.csv", Csv(PatientHeader, Patient("P70000001", "1970-05-01")));

        // Assert: the claims are in silver, on the patient, and their own batch's counts moved from pending to written.
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM silver.claims WHERE patient_id = 'P70000001'"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM silver.pending_claims"));
        claimsBatch = await BatchOfAsync("claims_early.csv");
        Assert.Equal((0L, 2L), (claimsBatch.RowsPending, claimsBatch.RowsWritten));
        Assert.Equal(2L, await CountAsync(
            $"SELECT passed FROM quality.expectation_results WHERE batch_id = '{claimsBatch.BatchId}' AND expectation = 'patient_exists'"));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM silver.patients WHERE patient_id = 'P70000001'"));
    }

    [Fact]
    public async Task AClaimWhosePatientNeverArrives_IsQuarantinedAsAnOrphan_OnceTheGracePeriodIsOver()
    {
        await _pipeline.LandCsvAsync("claims", "claims_orphan.csv", Csv(ClaimHeader, Claim("C2000000001", "P79999999")));
        var orphans = _pipeline.Services.GetRequiredService<PendingOrphans>();

        // Within the grace period nothing happens; after it, the claim is quarantined and its batch accounts for it.
        Assert.Equal(0L, await orphans.ExpireAsync(TimeSpan.FromHours(1), CancellationToken.None));
        Assert.Equal(1L, await orphans.ExpireAsync(TimeSpan.Zero, CancellationToken.None));

        var batch = await BatchOfAsync("claims_orphan.csv");
        Assert.Equal((0L, 1L), (batch.RowsPending, batch.RowsQuarantined));
        Assert.Equal(["patient_exists"], await _pipeline.QueryAsync(
            "SELECT unnest(failed_rules) FROM silver.quarantine WHERE business_key = 'C2000000001'", r => r.GetString(0)));
        Assert.Equal(1L, await CountAsync(
            $"SELECT failed FROM quality.expectation_results WHERE batch_id = '{batch.BatchId}' AND expectation = 'patient_exists'"));
    }

    [Fact]
    public async Task ABatchBreakingAFailExpectation_IsRejectedWhole_WithNothingWritten()
    {
        // Arrange: a claims file with one row claiming to come from the lab: the feed is misrouted.
        await _pipeline.LandCsvAsync("patients", "patients_for_fail.csv", Csv(PatientHeader, Patient("P70000002", "1980-01-01")));
        var csv = Csv(ClaimHeader, Claim("C3000000001", "P70000002"), Claim("C3000000002", "P70000002").Replace("CLAIMS_SYSTEM", "LAB_SYSTEM"),
            Claim("C3000000003", "P70000002", amount: "-1"));

        // Act
        await _pipeline.LandCsvAsync("claims", "claims_misrouted.csv", csv);

        // Assert: rejected, every row counted as such, nothing in silver, the quarantine or pending, results and alert recorded.
        var batch = await BatchOfAsync("claims_misrouted.csv");
        Assert.Equal(SilverBatch.Failed, batch.Status);
        Assert.Equal(["valid_source_system"], batch.FailedExpectations);
        Assert.Equal((3L, 3L, 0L, 0L, 0L), (batch.BronzeRows, batch.RowsRejected, batch.RowsWritten, batch.RowsQuarantined, batch.RowsPending));
        Assert.Equal(0L, await CountAsync($"""
            SELECT (SELECT count(*) FROM silver.claims WHERE _batch_id = '{batch.BatchId}')
                 + (SELECT count(*) FROM silver.quarantine WHERE _batch_id = '{batch.BatchId}')
                 + (SELECT count(*) FROM silver.pending_claims WHERE _batch_id = '{batch.BatchId}')
                 + (SELECT count(*) FROM silver.superseded WHERE _batch_id = '{batch.BatchId}')
            """));
        Assert.Equal(1L, await CountAsync(
            $"SELECT failed FROM quality.expectation_results WHERE batch_id = '{batch.BatchId}' AND expectation = 'valid_source_system'"));
        Assert.Equal(1L, await CountAsync(
            $"SELECT failed FROM quality.expectation_results WHERE batch_id = '{batch.BatchId}' AND expectation = 'valid_claim_amount'"));
        Assert.True(await Eventually.TrueAsync(async () => (await BatchOfAsync("claims_misrouted.csv")).PublishedAt is not null, TimeSpan.FromSeconds(10)),
            "the rejection's alert should be published");
    }

    [Fact]
    public async Task ARedeliveredEvent_ChangesNothing()
    {
        // Arrange: the batch refined and its event published (the publication is marked just after the refinement commits,
        // so a batch read before it would differ from the same batch read later by its PublishedAt alone).
        await _pipeline.LandCsvAsync("patients", "patients_twice.csv", Csv(PatientHeader, Patient("P70000003", "1990-03-03"), Patient("P70000004", "1991-04-04")));
        Assert.True(await Eventually.TrueAsync(async () => (await BatchOfAsync("patients_twice.csv")).PublishedAt is not null, TimeSpan.FromSeconds(10)),
            "the refined batch's event should be published");
        var batch = await BatchOfAsync("patients_twice.csv");
        var before = await CountAsync("SELECT count(*) FROM silver.patient_records") + await CountAsync("SELECT count(*) FROM silver.superseded");

        // Act: the same event again, on the bus and straight to the refiner.
        await _pipeline.Services.GetRequiredService<IBus>().Publish(new BronzeBatchIngested(batch.BatchId, Entities.Patients, batch.FileId, 2, 0));
        var again = await _pipeline.Refiner.RefineAsync(batch.BatchId, CancellationToken.None);
        await _pipeline.Logs.WaitForAsync(e => e.Message.Contains($"Received BronzeBatchIngested: batch {batch.BatchId}", StringComparison.Ordinal) , TimeSpan.FromSeconds(10));

        Assert.Equal(batch, again);
        Assert.Equal(before, await CountAsync("SELECT count(*) FROM silver.patient_records") + await CountAsync("SELECT count(*) FROM silver.superseded"));
        Assert.Equal(1L, await CountAsync($"SELECT count(*) FROM silver.batches WHERE batch_id = '{batch.BatchId}'"));
    }

    [Fact]
    public async Task ABronzeBatchWhoseEventWasLost_IsRefinedByTheCatchUp()
    {
        // Arrange: a batch committed to bronze with no event (as if the broker lost it).
        var batchId = Guid.CreateVersion7();
        var fileId = Guid.CreateVersion7();
        await _pipeline.ExecuteAsync($"""
            INSERT INTO bronze.files (file_id, path, file_name, entity, source_system, size_bytes, modified_at, sha256, status, rows, batches, discovered_by, completed_at)
            VALUES ('{fileId}', '/nowhere/patients_lost.csv', 'patients_lost.csv', 'patients', 'EHR_SYSTEM', 1, now(), 'x', 'ingested', 1, 1, 'scan', now());
            INSERT INTO bronze.batches (batch_id, file_id, sequence, entity, first_row, rows, rescued_rows, committed_at, published_at)
            VALUES ('{batchId}', '{fileId}', 0, 'patients', 1, 1, 0, now() - interval '1 hour', now());
            INSERT INTO bronze.patients (patient_id, first_name, last_name, date_of_birth, gender, source_system, "timestamp",
                _source_system, _batch_id, _file_name, _file_path, _file_size, _file_modification_time, _row_number, _pipeline_env)
            VALUES ('P70000005', 'Ann', 'Lost', '1975-07-07', 'Female', 'EHR_SYSTEM', '2026-01-01T00:00:00Z',
                'EHR_SYSTEM', '{batchId}', 'patients_lost.csv', '/nowhere/patients_lost.csv', 1, now(), 1, 'test');
            """);

        // Act
        var caughtUp = await _pipeline.Services.GetRequiredService<RefinementSweep>().CatchUpAsync(TimeSpan.FromMinutes(1), CancellationToken.None);

        // Assert
        Assert.Equal(1, caughtUp);
        Assert.Equal(SilverBatch.Refined, (await BatchOfAsync("patients_lost.csv")).Status);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM silver.patients WHERE patient_id = 'P70000005'"));
    }

    [Theory]
    [InlineData(88, 88)]
    [InlineData(89, 90)]
    [InlineData(95, 90)]
    [InlineData(120, 90)]
    public async Task Ages_From89On_AreReportedAs90(int age, int reported)
    {
        var id = $"P71{age:D6}";
        var birth = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-age).AddDays(-10);
        await _pipeline.LandCsvAsync("patients", $"patients_age_{age}.csv", Csv(PatientHeader, Patient(id, birth.ToString("yyyy-MM-dd"))));

        Assert.Equal((long)reported, await CountAsync($"SELECT age_years::bigint FROM silver.patients WHERE patient_id = '{id}'"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM silver.patients WHERE age_years > 90"));
    }

    [Theory]
    [InlineData("03601", "000")]
    [InlineData("89012", "000")]
    [InlineData("10001", "100")]
    [InlineData("02108-1234", "021")]
    public async Task Zip_IsKeptAsItsFirstThreeDigits_Or000ForTheRestrictedPrefixes(string zip, string zip3)
    {
        var id = $"P72{zip[..5]}0";
        await _pipeline.LandCsvAsync("patients", $"patients_zip_{zip}.csv", Csv(PatientHeader, Patient(id, "1960-06-06", zip)));

        Assert.Equal(zip3, await _pipeline.ScalarAsync<string>($"SELECT zip3 FROM silver.patients WHERE patient_id = '{id}'"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnAdtRecordWithTheEhrsMrn_JoinsThatPatient_AndFillsWhatTheEhrRecordLacks(bool adtFirst)
    {
        // Arrange: the EHR record lacks a gender and has a state that is none; the ADT record of the same person has both.
        var ehr = Csv(PatientHeader, Patient("P70000010", "1950-02-02").Replace("Female", "").Replace(",NY,", ",XX,"));
        var adt = Csv(AdtHeader, "A70000010,MRN70000010,Doe,Jane,02/02/1950,M,9 Elm St,Houston,TX,77002,713-555-0100,INS1234567890,PPO Gold,ADT_SYSTEM,2026-02-01 08:00:00");

        // Act: in either order.
        foreach (var (entity, name, csv) in adtFirst ? new[] { ("patients", "adt.csv", adt), ("patients", "ehr.csv", ehr) } : [("patients", "ehr.csv", ehr), ("patients", "adt.csv", adt)])
        {
            await _pipeline.LandCsvAsync(entity, name, csv);
        }

        // Assert: one patient, the EHR's, with the EHR's values where it has them and the ADT's where it has not.
        Assert.Equal(["P70000010|exact_mrn"], await _pipeline.QueryAsync(
            "SELECT patient_id || '|' || match_rule FROM silver.patient_identity_map WHERE source_patient_id = 'A70000010'", r => r.GetString(0)));
        var golden = await _pipeline.QueryAsync(
            "SELECT sex, region, zip3, source_records, array_to_string(source_systems, ',') FROM silver.patients WHERE patient_id IN ('P70000010', 'A70000010')",
            r => (Sex: r.GetString(0), Region: r.GetString(1), Zip3: r.GetString(2), Records: r.GetInt16(3), Systems: r.GetString(4)));
        Assert.Equal(("M", "SOUTHWEST", "100", (short)2, "ADT_SYSTEM,EHR_SYSTEM"), Assert.Single(golden));
    }

    [Theory]
    [InlineData(30, 22.0, false, 0, "LOW")]           // 0 points
    [InlineData(50, 22.0, false, 0, "LOW")]           // age 45-64: 1
    [InlineData(50, 27.0, false, 0, "MEDIUM")]        // + BMI 25-29.9: 1
    [InlineData(30, 22.0, true, 0, "MEDIUM")]         // smoking: 2
    [InlineData(70, 31.0, false, 0, "HIGH")]          // age 65+: 2, BMI 30+: 2
    [InlineData(30, 22.0, true, 50_000, "HIGH")]      // smoking 2 + claims 50,000+: 2
    [InlineData(30, 22.0, false, 10_000, "LOW")]      // claims 10,000+: 1
    [InlineData(null, null, null, 0, "LOW")]          // unknown values add nothing
    public async Task RiskCategory_AddsTheDocumentedPoints(int? age, double? bmi, bool? smoker, int claimsTotal, string category)
    {
        await using var command = _pipeline.Database.CreateCommand("SELECT silver.risk_category(@age::smallint, @bmi::numeric, @smoker, @total::numeric)");
        command.Parameters.AddWithValue("age", (object?)age ?? DBNull.Value);
        command.Parameters.AddWithValue("bmi", (object?)bmi ?? DBNull.Value);
        command.Parameters.AddWithValue("smoker", (object?)smoker ?? DBNull.Value);
        command.Parameters.AddWithValue("total", claimsTotal);

        Assert.Equal(category, await command.ExecuteScalarAsync());
    }

    private const string AdtHeader =
        "patient_id,mrn,last_name,first_name,date_of_birth,gender,address_line1,city,state,zip_code,phone,insurance_id,insurance_plan,source_system,timestamp";

    private static string Csv(string header, params string[] rows) => string.Join("\n", [header, .. rows]) + "\n";

    private static string Patient(string id, string birth, string zip = "10001") =>
        $"{id},MRN{id[1..]},Jane,Doe,{birth},Female,1 Main St,New York,NY,{zip},(212) 555-0100,jane.doe@example.com,900-12-3456,INS1234567890,PPO Gold,2020-01-01,27.5,no,1,5000.00,EHR_SYSTEM,2026-01-01T00:00:00Z";

    private static string Claim(string id, string patient, string amount = "125.00") =>
        $"{id},{patient},05-Jan-2026,{amount},E11.9,99213,PAID,CLAIMS_SYSTEM";

    private async Task<SilverBatch> BatchOfAsync(string fileName)
    {
        var batches = await _pipeline.QueryAsync($"SELECT {SilverBatch.SelectColumns} FROM silver.batches WHERE file_name = '{fileName}'", SilverBatch.Read);
        return Assert.Single(batches);
    }

    private Task<long> CountAsync(string sql) => _pipeline.ScalarAsync<long>(sql);
}
