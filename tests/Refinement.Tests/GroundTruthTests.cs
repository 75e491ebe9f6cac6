using System.Globalization;
using HealthMedallion.Refinement.Orphans;
using HealthMedallion.Refinement.Tests.Identity;
using HealthMedallion.Refinement.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace HealthMedallion.Refinement.Tests;

/// <summary>The default data set through the real pipeline, judged against the generator's ground truth.</summary>
public sealed class GroundTruthTests(GroundTruthTests.DefaultDataSet data, ITestOutputHelper output) : IClassFixture<GroundTruthTests.DefaultDataSet>
{
    /// <summary>The rule (or merge outcome) meant to catch each defect class the generator injects, per entity where it differs.</summary>
    private static readonly Dictionary<string, Func<string, string>> RuleFor = new(StringComparer.Ordinal)
    {
        ["missing_required_field"] = _ => "required_fields_present",
        ["unparseable_date"] = entity => entity switch { "patients" => "valid_birth_date", "claims" => "valid_claim_date", _ => "valid_event_date" },
        ["future_date"] = entity => entity switch { "patients" => "birth_date_not_in_future", "claims" => "claim_date_not_in_future", _ => "event_date_not_in_future" },
        ["out_of_range_age"] = _ => "valid_age",
        ["out_of_range_bmi"] = _ => "valid_bmi",
        ["invalid_claim_amount"] = _ => "valid_claim_amount",
        ["malformed_icd10"] = _ => "valid_icd10_format",
        ["unknown_claim_status"] = _ => "valid_claim_status",
        ["unknown_event_type"] = _ => "valid_event_type",
        ["test_patient"] = _ => "not_test_patient",
        ["orphan_reference"] = _ => "patient_exists",
        ["exact_duplicate"] = _ => "exact_duplicate",
        ["corrected_resend"] = _ => "corrected_resend",
        ["superseded"] = _ => "superseded",
        ["truncated_last_line"] = _ => "well_formed_record",
    };

    [Fact]
    public void EveryInjectedDefect_IsCaughtByItsRule_AndNoCleanRowIsCaught()
    {
        var table = new List<string> { "| defect class | rule | labelled | caught | true positives | precision | recall |", "|---|---|---:|---:|---:|---:|---:|" };
        var failures = new List<string>();

        // A truncated last line is malformed: its other failures (fields cut off) follow from that, not from other defects.
        var truncated = data.Labels.Where(l => l.Label == "truncated_last_line").Select(l => l.Row).ToHashSet();
        foreach (var defect in RuleFor.Keys)
        {
            var actual = data.Labels.Where(l => l.Label == defect).Select(l => l.Row).ToHashSet();
            var predicted = data.Detections
                .Where(d => d.Detection == RuleFor[defect](d.Entity) && (defect == "truncated_last_line" || !truncated.Contains(d.Row)))
                .Select(d => d.Row).ToHashSet();
            var truePositives = actual.Intersect(predicted).Count();
            var precision = predicted.Count == 0 ? 1.0 : (double)truePositives / predicted.Count;
            var recall = actual.Count == 0 ? 1.0 : (double)truePositives / actual.Count;
            var rules = string.Join(" / ", new[] { "patients", "claims", "medical_events" }.Select(RuleFor[defect]).Distinct());
            table.Add($"| {defect} | {rules} | {actual.Count} | {predicted.Count} | {truePositives} | {precision:0.0000} | {recall:0.0000} |");
            if (precision < 1.0 || recall < 1.0)
            {
                failures.Add($"{defect}: precision {precision:0.0000}, recall {recall:0.0000}; missed {string.Join(", ", actual.Except(predicted).Take(5))}; wrongly caught {string.Join(", ", predicted.Except(actual).Take(5))}");
            }
        }

        output.WriteLine(string.Join(Environment.NewLine, table));
        Assert.True(data.Labels.Count > 1000, "the default data set should carry over a thousand labelled rows");
        Assert.Empty(failures);

        var labelled = data.Labels.Select(l => l.Row).ToHashSet();
        var cleanButCaught = data.Detections.Where(d => !labelled.Contains(d.Row)).Select(d => $"{d.Row} by {d.Detection}").Take(10).ToList();
        Assert.Empty(cleanButCaught);
    }

    [Fact]
    public async Task EveryBronzeRow_IsAccountedFor_InEveryBatch()
    {
        var batches = await data.Pipeline.QueryAsync("""
            WITH bronze_rows AS (
                SELECT _batch_id, count(*) AS n FROM bronze.patients GROUP BY 1 UNION ALL
                SELECT _batch_id, count(*) FROM bronze.claims GROUP BY 1 UNION ALL
                SELECT _batch_id, count(*) FROM bronze.medical_events GROUP BY 1
            ), silver_rows AS (
                SELECT _batch_id, count(*) AS n FROM (
                    SELECT _batch_id FROM silver.patient_records UNION ALL SELECT _batch_id FROM silver.claims UNION ALL
                    SELECT _batch_id FROM silver.medical_events UNION ALL
                    SELECT _batch_id FROM silver.superseded WHERE reason = 'replaced') s GROUP BY 1
            ), quarantined AS (SELECT _batch_id, count(*) AS n FROM silver.quarantine GROUP BY 1
            ), superseded AS (SELECT _batch_id, count(*) AS n FROM silver.superseded WHERE reason <> 'replaced' GROUP BY 1
            ), pending AS (
                SELECT _batch_id, count(*) AS n FROM (
                    SELECT _batch_id FROM silver.pending_claims UNION ALL SELECT _batch_id FROM silver.pending_medical_events) p GROUP BY 1)
            SELECT b.batch_id::text, b.bronze_rows, coalesce(br.n, 0), b.rows_written, coalesce(s.n, 0), b.rows_quarantined, coalesce(q.n, 0),
                   b.rows_superseded, coalesce(d.n, 0), b.rows_pending, coalesce(p.n, 0), b.status
            FROM silver.batches b
            LEFT JOIN bronze_rows br ON br._batch_id = b.batch_id LEFT JOIN silver_rows s ON s._batch_id = b.batch_id
            LEFT JOIN quarantined q ON q._batch_id = b.batch_id LEFT JOIN superseded d ON d._batch_id = b.batch_id
            LEFT JOIN pending p ON p._batch_id = b.batch_id
            """, r => (Batch: r.GetString(0), Bronze: r.GetInt64(1), BronzeCounted: r.GetInt64(2), Written: r.GetInt64(3), WrittenCounted: r.GetInt64(4),
                Quarantined: r.GetInt64(5), QuarantinedCounted: r.GetInt64(6), Superseded: r.GetInt64(7), SupersededCounted: r.GetInt64(8),
                Pending: r.GetInt64(9), PendingCounted: r.GetInt64(10), Status: r.GetString(11)));

        Assert.Equal(await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM bronze.batches"), batches.Count);
        Assert.All(batches, b =>
        {
            Assert.Equal("refined", b.Status);
            Assert.Equal(b.BronzeCounted, b.Bronze);
            Assert.Equal(b.Bronze, b.Written + b.Quarantined + b.Superseded + b.Pending);
            Assert.Equal((b.Written, b.Quarantined, b.Superseded, b.Pending), (b.WrittenCounted, b.QuarantinedCounted, b.SupersededCounted, b.PendingCounted));
        });
        Assert.Equal(0, batches.Sum(b => b.Pending)); // the orphans' grace period is over: they are quarantined
    }

    [Fact]
    public async Task EveryExpectation_IsRecordedForEveryBatch_OverAllItsRows()
    {
        var declared = data.Pipeline.Refiner.Refiners.ToDictionary(r => r.Entity, r => r.Expectations.Select(e => e.Name).ToHashSet());
        var results = await data.Pipeline.QueryAsync("""
            SELECT b.batch_id::text, b.entity, b.bronze_rows, e.expectation, e.passed, e.failed
            FROM silver.batches b JOIN quality.expectation_results e ON e.batch_id = b.batch_id
            """, r => (Batch: r.GetString(0), Entity: r.GetString(1), Rows: r.GetInt64(2), Expectation: r.GetString(3), Passed: r.GetInt64(4), Failed: r.GetInt64(5)));

        foreach (var batch in results.GroupBy(r => (r.Batch, r.Entity, r.Rows)))
        {
            Assert.Equal(declared[batch.Key.Entity].Order(), batch.Select(r => r.Expectation).Order());
            Assert.All(batch.Where(r => r.Expectation != "patient_exists"), r => Assert.Equal(r.Rows, r.Passed + r.Failed));
        }

        Assert.Equal(await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.batches"), results.Select(r => r.Batch).Distinct().Count());
        var orphans = await data.Pipeline.ScalarAsync<long>("SELECT count(*) FROM silver.quarantine WHERE failed_rules = '{patient_exists}'");
        Assert.Equal(orphans, results.Where(r => r.Expectation == "patient_exists").Sum(r => r.Failed));
    }

    [Fact]
    public async Task Silver_HoldsNoRawSsnNamePhoneEmailOrBirthDate()
    {
        var pii = (await data.Pipeline.QueryAsync("""
            SELECT v FROM bronze.patients,
                LATERAL (VALUES (ssn), (first_name), (last_name), (phone), (email), (date_of_birth), (address_line1),
                                (regexp_replace(phone, '[^0-9]', '', 'g')), ('+1' || regexp_replace(phone, '[^0-9]', '', 'g')),
                                (lower(email)), (initcap(first_name)), (initcap(last_name))) AS x (v)
            WHERE v IS NOT NULL AND v <> ''
            """, r => r.GetString(0))).ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(pii);

        var tables = await data.Pipeline.QueryAsync("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = 'silver' AND table_type = 'BASE TABLE'
            """, r => r.GetString(0));
        var leaks = new List<string>();
        foreach (var table in tables)
        {
            var values = await data.Pipeline.QueryAsync($"SELECT * FROM silver.{table}", r =>
                Enumerable.Range(0, r.FieldCount).Where(i => !r.IsDBNull(i)).Select(i => (Column: r.GetName(i), Value: Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture)!)).ToList());
            leaks.AddRange(values.SelectMany(row => row).Where(v => pii.Contains(v.Value)).Select(v => $"silver.{table}.{v.Column} = {v.Value}").Take(5));
        }

        Assert.Empty(leaks);

        // Birth dates: no silver column holds a date of birth, and no record's dates equal its own.
        Assert.Equal(0L, await data.Pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM information_schema.columns
            WHERE table_schema = 'silver' AND column_name IN ('first_name', 'last_name', 'date_of_birth', 'dob', 'ssn', 'phone', 'email', 'address_line1', 'mrn')
            """));
        Assert.Equal(0L, await data.Pipeline.ScalarAsync<long>("""
            SELECT count(*) FROM silver.patient_records r JOIN pii.patient_records p USING (source_system, source_patient_id)
            WHERE r.coverage_start_date = p.date_of_birth
            """));
    }

    [Fact]
    public async Task ClaimsAndEvents_BelongToResolvedPatients_AndAdtRecordsWithAnMrnLinkToTheirEhrRecord()
    {
        Assert.Equal(0L, await data.Pipeline.ScalarAsync<long>("""
            SELECT (SELECT count(*) FROM silver.claims c WHERE NOT EXISTS (SELECT 1 FROM silver.patients p WHERE p.patient_id = c.patient_id))
                 + (SELECT count(*) FROM silver.medical_events e WHERE NOT EXISTS (SELECT 1 FROM silver.patients p WHERE p.patient_id = e.patient_id))
            """));

        // An ADT record that sent the MRN of an EHR record is that EHR record's patient (the MRN is the strongest evidence),
        // and the ground truth agrees on who is who.
        var links = await data.Pipeline.QueryAsync("""
            SELECT m.source_patient_id, m.patient_id, e.source_patient_id FROM silver.patient_identity_map m
            JOIN pii.patient_records a USING (source_system, source_patient_id)
            JOIN pii.patient_records e ON e.source_system = 'EHR_SYSTEM' AND e.mrn = a.mrn
            WHERE m.source_system = 'ADT_SYSTEM'
            """, r => (Adt: r.GetString(0), Patient: r.GetString(1), Ehr: r.GetString(2)));
        Assert.True(links.Count > 1000, $"expected over a thousand ADT records with an MRN, got {links.Count}");
        Assert.All(links, link => Assert.Equal(link.Ehr, link.Patient));
        Assert.All(links, link => Assert.Equal(data.PersonOf("ADT_SYSTEM", link.Adt), data.PersonOf("EHR_SYSTEM", link.Patient)));
    }

    [Fact]
    public async Task IdentityResolution_AgainstTheTruth_ReachesF1Of098WithPrecision0995()
    {
        var map = await data.Pipeline.QueryAsync("SELECT source_system, source_patient_id, patient_id FROM silver.patient_identity_map",
            r => (Source: r.GetString(0), Id: r.GetString(1), Patient: r.GetString(2)));
        var accuracy = PairwiseAccuracy.Measure(map.Select(m => (m.Patient, data.PersonOf(m.Source, m.Id) ?? $"unknown:{m.Source}:{m.Id}")));
        output.WriteLine("| records | true pairs | predicted pairs | true positives | precision | recall | F1 |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        output.WriteLine($"| {map.Count} | {accuracy.TruePairs} | {accuracy.PredictedPairs} | {accuracy.TruePositives} | {accuracy.Precision:0.0000} | {accuracy.Recall:0.0000} | {accuracy.F1:0.0000} |");

        // Per variation: the share of ADT/LAB records linked to their person's EHR record (when it is in silver).
        var ehrOf = map.Where(m => m.Source == "EHR_SYSTEM").ToDictionary(m => data.PersonOf(m.Source, m.Id) ?? m.Id, m => m.Patient);
        foreach (var group in map.Where(m => m.Source != "EHR_SYSTEM")
            .Select(m => (m, Variation: data.VariationOf(m.Source, m.Id), Ehr: ehrOf.GetValueOrDefault(data.PersonOf(m.Source, m.Id) ?? "")))
            .Where(x => x.Ehr is not null).GroupBy(x => x.Variation).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"variation '{group.Key}': {group.Count(x => x.m.Patient == x.Ehr)} of {group.Count()} linked to their EHR record");
        }

        Assert.True(accuracy.TruePairs > 5000, $"the default data set should have thousands of true pairs, got {accuracy.TruePairs}");
        Assert.True(accuracy.Precision >= 0.995, $"precision {accuracy.Precision:0.0000} should be at least 0.995");
        Assert.True(accuracy.F1 >= 0.98, $"F1 {accuracy.F1:0.0000} should be at least 0.98");
    }

    /// <summary>The default data set (10,000 patients), landed all at once, refined, and its orphans' grace period ended.</summary>
    public sealed class DefaultDataSet : IAsyncLifetime
    {
        public RefinementPipeline Pipeline { get; } = new();

        public List<(RowRef Row, string Label)> Labels { get; private set; } = [];

        public List<(RowRef Row, string Entity, string Detection)> Detections { get; private set; } = [];

        private Dictionary<(string Source, string Id), string> _personOf = [];

        private Dictionary<(string Source, string Id), string> _variationOf = [];

        public string? PersonOf(string source, string id) => _personOf.GetValueOrDefault((source, id));

        public string VariationOf(string source, string id) => _variationOf.GetValueOrDefault((source, id)) ?? "";

        public async Task InitializeAsync()
        {
            await Pipeline.InitializeAsync();
            var generated = await Pipeline.GenerateAsync(RefinementPipeline.Options(10_000));
            await Pipeline.LandAsync(generated.Files.Select(f => f.Path));
            await Pipeline.Services.GetRequiredService<PendingOrphans>().ExpireAsync(TimeSpan.Zero, CancellationToken.None);

            // Ground truth: row labels, and the truncated last line of a file is that file's last bronze row.
            var lastRows = (await Pipeline.QueryAsync("""
                SELECT _file_name, max(_row_number) FROM bronze.patients GROUP BY 1 UNION ALL
                SELECT _file_name, max(_row_number) FROM bronze.claims GROUP BY 1 UNION ALL
                SELECT _file_name, max(_row_number) FROM bronze.medical_events GROUP BY 1
                """, r => (File: r.GetString(0), Last: r.GetInt64(1)))).ToDictionary(f => f.File, f => f.Last);
            foreach (var line in File.ReadLines(Path.Combine(Pipeline.RunFolder, "labels.csv")).Skip(1))
            {
                var f = line.Split(',');
                var row = f[1].Length > 0 ? long.Parse(f[1], CultureInfo.InvariantCulture) : f[5] == "truncated_last_line" ? lastRows[f[0]] : -1;
                if (row > 0)
                {
                    Labels.Add((new RowRef(f[0], row), f[5]));
                }
            }

            _personOf = File.ReadLines(Path.Combine(Pipeline.RunFolder, "identities.csv")).Skip(1)
                .Select(l => l.Split(','))
                .ToDictionary(f => (f[1], f[2]), f => f[0]);
            _variationOf = File.ReadLines(Path.Combine(Pipeline.RunFolder, "identities.csv")).Skip(1)
                .Select(l => l.Split(','))
                .ToDictionary(f => (f[1], f[2]), f => f[3].Length > 0 ? f[3] : f.Length > 4 && f[4].Length > 0 ? "lookalike_" + f[4] : "none");

            // What refinement said about each row: the rules it failed (quarantine, or kept with warnings), and
            // which rows lost to a duplicate or a later version, or won over an earlier one.
            Detections = await Pipeline.QueryAsync("""
                SELECT _file_name, _row_number, entity, unnest(failed_rules) FROM silver.quarantine
                UNION ALL SELECT _file_name, _row_number, 'patients', unnest(failed_warnings) FROM silver.patient_records
                UNION ALL SELECT _file_name, _row_number, 'claims', unnest(failed_warnings) FROM silver.claims
                UNION ALL SELECT _file_name, _row_number, 'medical_events', unnest(failed_warnings) FROM silver.medical_events
                UNION ALL SELECT _file_name, _row_number, entity, CASE reason WHEN 'exact_duplicate' THEN 'exact_duplicate' ELSE 'superseded' END
                          FROM silver.superseded
                UNION ALL SELECT superseded_by_file_name, superseded_by_row, entity, 'corrected_resend'
                          FROM silver.superseded WHERE reason IN ('older_version', 'replaced')
                """, r => (new RowRef(r.GetString(0), r.GetInt64(1)), r.GetString(2), r.GetString(3)));
        }

        public Task DisposeAsync() => Pipeline.DisposeAsync();
    }

    public sealed record RowRef(string File, long Row)
    {
        public override string ToString() => $"{File}:{Row}";
    }
}
