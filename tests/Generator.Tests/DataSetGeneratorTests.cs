using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using HealthMedallion.Generator.Generation;
using HealthMedallion.Generator.Tests.Support;

namespace HealthMedallion.Generator.Tests;

/// <summary>The programmatic API on its own (no database, no bus): layout, format, ground truth, both ways.</summary>
public sealed partial class DataSetGeneratorTests(GeneratedDataSetFixture data) : IClassFixture<GeneratedDataSetFixture>
{
    private static readonly Dictionary<string, string[]> BronzeColumns = new()
    {
        ["patients"] = ["patient_id", "mrn", "first_name", "last_name", "date_of_birth", "gender", "address_line1", "city", "state", "zip_code", "phone", "email",
            "ssn", "insurance_id", "insurance_plan", "coverage_start_date", "bmi", "smoker", "children", "charges", "source_system", "timestamp"],
        ["claims"] = ["claim_id", "patient_id", "claim_amount", "claim_date", "diagnosis_code", "procedure_code", "claim_status", "source_system"],
        ["medical_events"] = ["event_id", "patient_id", "event_date", "event_type", "medical_provider", "source_system", "encounter_id", "care_unit",
            "lab_code", "lab_value", "lab_unit"],
    };

    [GeneratedRegex(@"^(patients|claims|medical_events)_260314_0926_\d{3}\.csv$")]
    private static partial Regex FileName();

    [Fact]
    public void Files_FollowTheLandingLayout_OneSourcePerFile_NoTemporaryFilesLeft()
    {
        Assert.NotEmpty(data.Zone.Files);
        foreach (var file in data.Zone.Files)
        {
            Assert.Matches(FileName(), file.Name);
            Assert.StartsWith(file.Entity + "_", file.Name, StringComparison.Ordinal);
            var column = Array.IndexOf(file.Header, "source_system");
            Assert.Single(file.Rows.Where(r => r.Length > column).Select(r => r[column]).Where(s => s.Length > 0).Distinct());
        }

        Assert.Equal(7, data.Zone.Files.Select(f => (f.Entity, f.SourceSystem)).Distinct().Count());
        Assert.Equal(data.Zone.Files.Count, data.Zone.Files.Select(f => f.Name).Distinct().Count());
        Assert.Empty(Directory.EnumerateFiles(data.LandingRoot, "*.tmp", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(data.LandingRoot, "runs")));
    }

    [Fact]
    public void Files_AreUtf8WithoutBom_WithHeadersFromTheBronzeSchema()
    {
        var extraColumns = data.Zone.Labels.Where(l => l["label"] == "extra_column").ToDictionary(l => l["file"], l => l["detail"]);
        foreach (var file in data.Zone.Files)
        {
            Assert.False(file.Bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), file.Name);
            var expected = extraColumns.TryGetValue(file.Name, out var extra) ? [.. BronzeColumns[file.Entity], extra] : BronzeColumns[file.Entity];
            Assert.All(file.Header, column => Assert.Contains(column, expected));
            Assert.Contains("source_system", file.Header);
            Assert.Equal(extra is not null, file.Header.Length > 0 && file.Header[^1] == extra);
        }

        // Quoting really happens (addresses and providers with commas), and a reader gets the text back whole.
        Assert.Contains(data.Zone.Files.SelectMany(f => f.Rows).SelectMany(r => r), field => field.Contains(", ", StringComparison.Ordinal));
    }

    [Fact]
    public void Result_AndManifest_DescribeEveryFileExactly()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(data.Result.ManifestPath));
        var entries = manifest.RootElement.GetProperty("files").EnumerateArray().ToDictionary(e => e.GetProperty("path").GetString()!);
        Assert.Equal(data.Zone.Files.Count, data.Result.Files.Count);
        Assert.Equal(data.Zone.Files.Count, entries.Count);
        foreach (var generated in data.Result.Files)
        {
            var bytes = File.ReadAllBytes(generated.Path);
            var landed = data.Zone.Files.Single(f => f.Path == generated.Path);
            Assert.True(Path.IsPathRooted(generated.Path));
            Assert.Equal(bytes.LongLength, generated.SizeBytes);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), generated.Sha256);
            Assert.Equal(landed.Rows.Count, generated.Rows);
            Assert.True(generated.Rows <= data.Options.PartRows);
            Assert.Equal(landed.SourceSystem, generated.SourceSystem);

            var entry = entries[$"{landed.Entity}/{landed.Name}"];
            Assert.Equal(generated.Sha256, entry.GetProperty("sha256").GetString());
            Assert.Equal(generated.Rows, entry.GetProperty("rows").GetInt64());
            Assert.Equal(generated.SizeBytes, entry.GetProperty("sizeBytes").GetInt64());
        }

        // Large streams were split into parts.
        Assert.Contains(data.Result.Files, f => f.Rows == data.Options.PartRows);
        Assert.Equal(7, manifest.RootElement.GetProperty("parameters").GetProperty("seed").GetInt32());
        Assert.StartsWith(Path.GetFullPath(data.RunFolder), data.Result.ManifestPath, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryDefectInTheFiles_IsLabelled_AndEveryLabel_IsInTheFiles()
    {
        // Arrange: what the labels claim, and what the files show to an independent reader.
        var truncated = data.Zone.Labels.Where(l => l["label"] == "truncated_last_line").Select(l => (l["file"], long.Parse(l["row_number"], CultureInfo.InvariantCulture))).ToHashSet();
        var labelled = data.Zone.Labels
            .Where(l => l["row_number"].Length > 0 && l["label"] != "truncated_last_line")
            .Select(l => (File: l["file"], Row: long.Parse(l["row_number"], CultureInfo.InvariantCulture), Label: l["label"]))
            .Where(l => !truncated.Contains((l.File, l.Row)))
            .ToHashSet();

        // Act
        var found = DefectDetector.Detect(data.Zone.Files, data.Options.AsOf, truncated);
        var detected = found.Select(f => (f.File, f.Row, f.Label)).ToHashSet();

        // Assert: both ways, and every class really occurs.
        Assert.Empty(detected.Except(labelled).Take(10));
        Assert.Empty(labelled.Except(detected).Take(10));
        foreach (var defect in DefectLabels.Defects)
        {
            Assert.True(data.Result.DefectCounts[defect] > 0, $"no {defect} injected");
        }

        // The field named in a missing-field label is the empty one.
        var missing = found.Where(f => f.Label == "missing_required_field").Select(f => (f.File, f.Row, f.Detail)).ToHashSet();
        Assert.All(data.Zone.Labels.Where(l => l["label"] == "missing_required_field" && !truncated.Contains((l["file"], long.Parse(l["row_number"], CultureInfo.InvariantCulture)))),
            l => Assert.Contains((l["file"], long.Parse(l["row_number"], CultureInfo.InvariantCulture), l["detail"]), missing));
    }

    [Fact]
    public void FileLevelDefects_AreWhatTheLabelsSay()
    {
        var truncated = data.Zone.Labels.Where(l => l["label"] == "truncated_last_line").ToDictionary(l => l["file"]);
        foreach (var file in data.Zone.Files)
        {
            var endsWithNewline = file.Bytes[^1] == (byte)'\n';
            Assert.Equal(!truncated.ContainsKey(file.Name), endsWithNewline);
            if (truncated.TryGetValue(file.Name, out var label))
            {
                Assert.Equal(file.Rows.Count, long.Parse(label["row_number"], CultureInfo.InvariantCulture));
                Assert.True(file.Rows[^1].Length < file.Header.Length || file.RawRows[^1].Count(c => c == '"') % 2 == 1, $"{file.Name}: the last line is whole");
            }
        }

        Assert.NotEmpty(truncated);
        Assert.Contains(data.Zone.Labels, l => l["label"] == "extra_column");
    }

    [Fact]
    public void DefectCounts_InTheManifest_MatchTheLabels()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(data.Result.ManifestPath));
        var counts = manifest.RootElement.GetProperty("defectCounts");
        foreach (var defect in DefectLabels.Defects)
        {
            var labels = data.Zone.Labels.Count(l => l["label"] == defect);
            Assert.Equal(labels, counts.GetProperty(defect).GetInt64());
            Assert.Equal(labels, data.Result.DefectCounts[defect]);
        }

        // Row defects stay "a few percent" even at these raised rates.
        var rows = data.Result.Files.Sum(f => f.Rows);
        Assert.InRange(data.Result.DefectCounts.Values.Sum() / (double)rows, 0.02, 0.15);
    }

    [Fact]
    public void EveryClaimAndEvent_ReferencesAPatientOfItsSource_ExceptTheLabelledOrphans()
    {
        var orphans = data.Zone.Labels.Where(l => l["label"] is "orphan_reference" or "truncated_last_line")
            .Select(l => (l["file"], long.Parse(l["row_number"], CultureInfo.InvariantCulture))).ToHashSet();
        var ids = data.Zone.Files.Where(f => f.Entity == "patients").SelectMany(f => f.Rows.Select(r => (Source: f.SourceSystem, Id: r[0]))).ToHashSet();
        var checkedRows = 0;
        foreach (var file in data.Zone.Files.Where(f => f.Entity != "patients"))
        {
            var source = file.SourceSystem == "CLAIMS_SYSTEM" ? "EHR_SYSTEM" : file.SourceSystem;
            for (var i = 0; i < file.Rows.Count; i++)
            {
                var patient = file.Field(i, "patient_id");
                if (string.IsNullOrEmpty(patient) || orphans.Contains((file.Name, i + 1)))
                {
                    continue;
                }

                Assert.Contains((source, patient), ids);
                checkedRows++;
            }
        }

        Assert.True(checkedRows > 40_000, $"{checkedRows} rows checked");
    }

    [Fact]
    public void Identities_CoverEverySourceRecord_WithVariationsAndLookalikes()
    {
        var known = data.Zone.Identities.Select(i => (i["source_system"], i["source_patient_id"])).ToHashSet();
        var records = data.Zone.Files.Where(f => f.Entity == "patients").SelectMany(f => f.Rows.Select(r => (f.SourceSystem, r[0]))).ToHashSet();
        Assert.Equal(records.Count, known.Count);
        Assert.Subset(known, records);

        // Several systems, one person: the same person_id under different local ids.
        var clusters = data.Zone.Identities.GroupBy(i => i["person_id"]).ToList();
        Assert.Contains(clusters, c => c.Select(i => i["source_system"]).Distinct().Count() == 3);
        Assert.All(clusters.Where(c => c.Count() > 1), c => Assert.Equal(c.Count(), c.Select(i => i["source_patient_id"]).Distinct().Count()));
        foreach (var variation in new[] { "nickname", "typo", "swapped_names", "missing_dob", "missing_phone", "moved_address", "maiden_name" })
        {
            Assert.Contains(data.Zone.Identities, i => i["variation"] == variation);
        }

        foreach (var kind in new[] { "twin", "namesake", "junior" })
        {
            Assert.Contains(data.Zone.Identities, i => i["lookalike_kind"] == kind && i["lookalike_of"].Length > 0);
        }
    }

    [Fact]
    public void Lookalikes_AreDifferentPeople_WhoLookAlikeInTheFiles()
    {
        var ehr = data.Zone.Files.Where(f => f is { Entity: "patients", SourceSystem: "EHR_SYSTEM" })
            .SelectMany(f => Enumerable.Range(0, f.Rows.Count).Select(i => (Id: f.Rows[i][0], First: f.Field(i, "first_name"), Last: f.Field(i, "last_name"), Dob: f.Field(i, "date_of_birth"), City: f.Field(i, "city"))))
            .GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.First());
        var lookalikes = data.Zone.Identities.Where(i => i["source_system"] == "EHR_SYSTEM" && i["lookalike_kind"].Length > 0).ToList();
        Assert.NotEmpty(lookalikes);
        foreach (var identity in lookalikes)
        {
            var person = ehr[identity["source_patient_id"]];
            var other = ehr[$"P{long.Parse(identity["lookalike_of"], CultureInfo.InvariantCulture):D8}"];
            Assert.NotEqual(identity["person_id"], identity["lookalike_of"]);
            switch (identity["lookalike_kind"])
            {
                case "twin" when person.Dob != "" && other.Dob != "" && person.Last != "" && other.Last != "":
                    Assert.Equal(other.Last, person.Last);
                    break;
                case "junior" when person.Last != "":
                    Assert.EndsWith(" Jr", person.Last, StringComparison.Ordinal);
                    break;
                case "namesake" when person.First != "" && other.First != "" && person.Last != "" && other.Last != "":
                    Assert.Equal((other.First, other.Last, other.City), (person.First, person.Last, person.City));
                    break;
            }
        }
    }
}
