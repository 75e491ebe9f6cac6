using HealthMedallion.Refinement.Identity.Blocking;
using HealthMedallion.Refinement.Identity.Records;
using HealthMedallion.Refinement.Tests.Support;
using static HealthMedallion.Refinement.Tests.Identity.SourceRecords;

namespace HealthMedallion.Refinement.Tests.Identity;

/// <summary>
/// Probabilistic identity resolution through the real pipeline: a generated population (2,000 patients) from which the
/// model is estimated, then hand-made registrations of the hard cases, matched incrementally against it. Each test has
/// its own people (names, phones, ids), so that the tests do not depend on each other.
/// </summary>
public sealed class IdentityResolutionTests(IdentityResolutionTests.Population population) : IClassFixture<IdentityResolutionTests.Population>
{
    private readonly RefinementPipeline _pipeline = population.Pipeline;

    [Fact]
    public async Task ATypoInTheFamilyName_StillLinksTheLabRecordToTheEhrPatient()
    {
        await LandAsync(Csv(EhrHeader, Ehr("P91000011", "Margaret", "Whitfield", "1961-04-12", 'F', "12 Spruce Rd", "99501", "9078410011")));
        await LandAsync(Csv(LabHeader, Lab("L91000011", "Margaret", "Whitfeild", "1961-04-12", 'F', "99501", "9078410011")));

        var link = await LinkOfAsync("LAB_SYSTEM", "L91000011");
        Assert.Equal("P91000011", link.Patient);
        Assert.Equal("fellegi_sunter", link.Rule);
        Assert.True(link.Probability >= 0.95m, $"probability {link.Probability}");
        Assert.Contains("last_name=jaro_winkler_0.92", link.Levels, StringComparison.Ordinal);
        Assert.Equal("EHR_SYSTEM:P91000011", link.LinkedTo);
    }

    [Fact]
    public async Task ANickname_StillLinksTheAdtRecordWithoutMrnToTheEhrPatient()
    {
        await LandAsync(Csv(EhrHeader, Ehr("P91000021", "William", "Thornbury", "1972-09-30", 'M', "40 Birch Ave", "99502", "9078410021")));
        await LandAsync(Csv(AdtHeader, Adt("A91000021", "", "Bill", "Thornbury", "1972-09-30", 'M', "40 Birch Ave", "99502", "9078410021")));

        var link = await LinkOfAsync("ADT_SYSTEM", "A91000021");
        Assert.Equal("P91000021", link.Patient);
        Assert.Contains("first_name=nickname", link.Levels, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SwappedGivenAndFamilyNames_StillLink()
    {
        await LandAsync(Csv(EhrHeader, Ehr("P91000031", "Chidi", "Okonkwo", "1985-01-17", 'M', "7 Alder Way", "99503", "9078410031")));
        await LandAsync(Csv(LabHeader, Lab("L91000031", "Okonkwo", "Chidi", "1985-01-17", 'M', "99503", "9078410031")));

        var link = await LinkOfAsync("LAB_SYSTEM", "L91000031");
        Assert.Equal("P91000031", link.Patient);
        Assert.StartsWith("first_name=exact last_name=exact ", link.Levels, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twins_SharingEverythingButTheGivenName_StayTwoPatients_AndEachLabRecordFindsItsTwin()
    {
        // Same family name, birth date, address and phone; different given names and MRNs.
        await LandAsync(Csv(EhrHeader,
            Ehr("P91000041", "Anna", "Kowalczyk", "1990-06-21", 'F', "3 Willow Ct", "99504", "9078410041"),
            Ehr("P91000042", "Maria", "Kowalczyk", "1990-06-21", 'F', "3 Willow Ct", "99504", "9078410041")));
        await LandAsync(Csv(LabHeader,
            Lab("L91000042", "Maria", "Kowalczyk", "1990-06-21", 'F', "99504", "9078410041"),
            Lab("L91000041", "Anna", "Kowalczyk", "1990-06-21", 'F', "99504", "9078410041")));
        await LandAsync(Csv(AdtHeader, Adt("A91000042", "MRN91000042", "Maria", "Kowalczyk", "1990-06-21", 'F', "3 Willow Ct", "99504", "9078410041")));

        Assert.Equal("P91000041", (await LinkOfAsync("EHR_SYSTEM", "P91000041")).Patient);
        Assert.Equal("P91000042", (await LinkOfAsync("EHR_SYSTEM", "P91000042")).Patient);
        Assert.Equal("P91000041", (await LinkOfAsync("LAB_SYSTEM", "L91000041")).Patient);
        Assert.Equal("P91000042", (await LinkOfAsync("LAB_SYSTEM", "L91000042")).Patient);
        Assert.Equal("P91000042", (await LinkOfAsync("ADT_SYSTEM", "A91000042")).Patient);
    }

    [Fact]
    public async Task FatherAndJunior_AtOneAddress_AreTwoPatients_TheBirthDateDecides()
    {
        // The EHR writes the son's family name with Jr; the lab and the ADT do not.
        await LandAsync(Csv(EhrHeader,
            Ehr("P91000051", "John", "Pemberton", "1950-03-03", 'M', "88 Cedar Ln", "99505", "9078410051"),
            Ehr("P91000052", "John", "Pemberton Jr", "1981-07-19", 'M', "88 Cedar Ln", "99505", "9078410052")));
        await LandAsync(Csv(LabHeader, Lab("L91000052", "John", "Pemberton", "1981-07-19", 'M', "99505", "9078410052")));
        await LandAsync(Csv(AdtHeader, Adt("A91000051", "", "John", "Pemberton", "1950-03-03", 'M', "88 Cedar Ln", "99505", "")));

        Assert.Equal("P91000052", (await LinkOfAsync("LAB_SYSTEM", "L91000052")).Patient);
        Assert.Equal("P91000051", (await LinkOfAsync("ADT_SYSTEM", "A91000051")).Patient);
        Assert.NotEqual((await LinkOfAsync("EHR_SYSTEM", "P91000051")).Patient, (await LinkOfAsync("EHR_SYSTEM", "P91000052")).Patient);
    }

    [Fact]
    public async Task ALateEhrRecord_BridgingAnAdtAndALabPatient_MergesThem_AndRepointsTheirEvents()
    {
        // Arrange: the ADT record (MRN, no phone) and the lab record (a nickname, no birth date) share no blocking key:
        // two patients, each with an event.
        await LandAsync(Csv(AdtHeader, Adt("A91000061", "MRN91000061", "Elizabeth", "Featherstone", "1958-11-02", 'F', "19 Aspen Dr", "99506", "")));
        await LandAsync(Csv(LabHeader, Lab("L91000061", "Betty", "Featherstone", "", 'F', "99506", "9078410061")));
        await _pipeline.LandCsvAsync("medical_events", "identity_bridge_adt_events.csv",
            Csv(AdtEventHeader, "E91000061,A91000061,ENC91000061,admission,2026-01-05 09:00:00,ICU,Dr Hale,ADT_SYSTEM"));
        await _pipeline.LandCsvAsync("medical_events", "identity_bridge_lab_events.csv",
            Csv(LabEventHeader, "E91000062,L91000061,lab_result,20260106100000,2345-7,98,mg/dL,Quest,LAB_SYSTEM"));
        Assert.Equal("A91000061", (await LinkOfAsync("ADT_SYSTEM", "A91000061")).Patient);
        Assert.Equal("L91000061", (await LinkOfAsync("LAB_SYSTEM", "L91000061")).Patient);

        // Act: the EHR record that has the ADT's MRN and the lab's phone.
        await LandAsync(Csv(EhrHeader, Ehr("P91000061", "Elizabeth", "Featherstone", "1958-11-02", 'F', "19 Aspen Dr", "99506", "9078410061", mrn: "MRN91000061")));

        // Assert: one patient, the EHR's id; the events follow; the history says who moved; the golden record says who won what.
        Assert.Equal(("P91000061", "exact_mrn"), await LinkOfAsync("ADT_SYSTEM", "A91000061") is var adt ? (adt.Patient, adt.Rule) : default);
        Assert.Equal("P91000061", (await LinkOfAsync("LAB_SYSTEM", "L91000061")).Patient);
        Assert.Equal(["E91000061|P91000061", "E91000062|P91000061"], await _pipeline.QueryAsync(
            "SELECT event_id || '|' || patient_id FROM silver.medical_events WHERE event_id IN ('E91000061', 'E91000062') ORDER BY 1", r => r.GetString(0)));
        Assert.Equal(["A91000061>P91000061", "L91000061>P91000061"], await _pipeline.QueryAsync("""
            SELECT old_patient_id || '>' || new_patient_id FROM silver.patient_identity_history
            WHERE source_patient_id IN ('A91000061', 'L91000061') AND old_patient_id IS NOT NULL ORDER BY 1
            """, r => r.GetString(0)));
        Assert.Equal(0L, await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.patients WHERE patient_id IN ('A91000061', 'L91000061')"));
        Assert.Equal(("EHR_SYSTEM", (short)3), (await _pipeline.QueryAsync(
            "SELECT attribute_sources->>'zip3', source_records FROM silver.patients WHERE patient_id = 'P91000061'", r => (r.GetString(0), r.GetInt16(1)))).Single());
    }

    [Fact]
    public async Task ACorrectedRecord_KeepsItsPatient_AndTheGoldenRecordTakesTheCorrection()
    {
        var registered = Ehr("P91000081", "Tomasz", "Wierzbicki", "1979-08-08", 'M', "61 Hemlock Pl", "99508", "9078410081");
        await LandAsync(Csv(EhrHeader, registered));
        Assert.Equal(27.5m, await _pipeline.ScalarAsync<decimal>("SELECT bmi FROM silver.patients WHERE patient_id = 'P91000081'"));

        // The same record resent later with another BMI: its patient does not change, its golden record must.
        await LandAsync(Csv(EhrHeader, registered.Replace(",27.5,", ",31.0,", StringComparison.Ordinal)
            .Replace("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", StringComparison.Ordinal)));

        Assert.Equal("P91000081", (await LinkOfAsync("EHR_SYSTEM", "P91000081")).Patient);
        Assert.Equal(31.0m, await _pipeline.ScalarAsync<decimal>("SELECT bmi FROM silver.patients WHERE patient_id = 'P91000081'"));
    }

    [Fact]
    public async Task MonitoringFigures_AreRecordedAfterEveryResolution()
    {
        await LandAsync(Csv(EhrHeader, Ehr("P91000071", "Ingrid", "Solvang", "1966-02-14", 'F', "5 Tamarack St", "99507", "9078410071")));

        var (coverage, confidence, queue) = (await _pipeline.QueryAsync(
            "SELECT coverage, average_confidence, review_queue_size FROM silver.identity_quality ORDER BY measured_at DESC LIMIT 1",
            r => (r.GetDecimal(0), r.GetDecimal(1), r.GetInt64(2)))).Single();
        Assert.Equal(1m, coverage);
        Assert.InRange(confidence, 0.9m, 1m);
        Assert.Equal(await _pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.identity_review WHERE status = 'pending'"), queue);
    }

    [Fact]
    public async Task EveryRecordIsStoredWithTheNameKeysResolutionComputes_AndAStaleKeyIsRepaired()
    {
        var stored = await _pipeline.QueryAsync(
            "SELECT source_system, source_patient_id, first_name, last_name, zip_code, first_phonetic, last_phonetic, zip_name_key FROM pii.patient_records",
            r => (System: r.GetString(0), Id: r.GetString(1), Computed: BlockingKeys.NameKeysOf(Text(r, 2), Text(r, 3), Text(r, 4)),
                Stored: new StoredNameKeys(Text(r, 5), Text(r, 6), Text(r, 7))));
        Assert.True(stored.Count > 2_000);
        Assert.All(stored, s => Assert.Equal(s.Computed, s.Stored));
        Assert.Contains(stored, s => s.Stored.ZipNameKey is not null);

        // A record whose stored keys are not current (written before refinement stored them) gets them from the resolver.
        var (system, id, keys, _) = stored.First(s => s.Stored.ZipNameKey is not null);
        await _pipeline.ExecuteAsync($"UPDATE pii.patient_records SET first_phonetic = NULL, zip_name_key = NULL WHERE source_system = '{system}' AND source_patient_id = '{id}'");
        var (first, last, zip) = (await _pipeline.QueryAsync(
            $"SELECT first_name, last_name, zip_code FROM pii.patient_records WHERE source_system = '{system}' AND source_patient_id = '{id}'",
            r => (Text(r, 0), Text(r, 1), Text(r, 2)))).Single();
        var record = IdentityRecord.Create(system, id, null, null, first, last, null, null, zip, null, null, null, touched: true, null, null, null,
            new StoredNameKeys(null, keys.LastPhonetic, null));
        Assert.False(record.StoredKeysCurrent);
        await using (var connection = await _pipeline.Database.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await IdentityScope.WriteStaleKeysAsync(connection, [record], CancellationToken.None);
            await transaction.CommitAsync();
        }

        Assert.Equal(keys, (await _pipeline.QueryAsync(
            $"SELECT first_phonetic, last_phonetic, zip_name_key FROM pii.patient_records WHERE source_system = '{system}' AND source_patient_id = '{id}'",
            r => new StoredNameKeys(Text(r, 0), Text(r, 1), Text(r, 2)))).Single());
    }

    private static string? Text(Npgsql.NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private Task LandAsync(string csv) => _pipeline.LandCsvAsync("patients", $"identity_{Guid.NewGuid():N}.csv", csv);

    private async Task<(string Patient, string Rule, decimal Probability, string? LinkedTo, string Levels)> LinkOfAsync(string source, string id)
    {
        var links = await _pipeline.QueryAsync($"""
            SELECT patient_id, match_rule, match_probability, linked_to, coalesce(match_levels, '') FROM silver.patient_identity_map
            WHERE source_system = '{source}' AND source_patient_id = '{id}'
            """, r => (r.GetString(0), r.GetString(1), r.GetDecimal(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4)));
        return Assert.Single(links);
    }

    /// <summary>A generated population of 2,000 patients, landed and resolved: the model is estimated from it.</summary>
    public sealed class Population : IAsyncLifetime
    {
        public RefinementPipeline Pipeline { get; } = new();

        public async Task InitializeAsync()
        {
            await Pipeline.InitializeAsync();
            var generated = await Pipeline.GenerateAsync(RefinementPipeline.Options(2_000, seed: 11));
            await Pipeline.LandAsync(generated.Files.Where(f => f.Path.Contains("patients", StringComparison.Ordinal)).Select(f => f.Path));
            Assert.True(await Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.identity_models") > 0, "the model should be estimated from the population");
        }

        public Task DisposeAsync() => Pipeline.DisposeAsync();
    }
}
