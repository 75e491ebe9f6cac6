using System.Globalization;
using HealthMedallion.Generator.Generation;
using HealthMedallion.Generator.Tests.Support;

namespace HealthMedallion.Generator.Tests;

/// <summary>Determinism, realism of the population, options and increments: each test generates its own data set.</summary>
public sealed class DataSetGenerationRunsTests : IDisposable
{
    private static readonly DateTimeOffset AsOf = new(2026, 5, 1, 8, 30, 0, TimeSpan.Zero);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-generator-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task SameSeedAndAsOf_GiveByteIdenticalFiles_AndTruth()
    {
        // Arrange
        var options = new GenerationOptions { Patients = 5_000, AsOf = AsOf, PartRows = 4_000 };

        // Act
        var first = await DataSetGenerator.GenerateAsync(options, Path.Combine(_root, "a", "landing"), Path.Combine(_root, "a", "run"), CancellationToken.None);
        var second = await DataSetGenerator.GenerateAsync(options, Path.Combine(_root, "b", "landing"), Path.Combine(_root, "b", "run"), CancellationToken.None);
        var other = await DataSetGenerator.GenerateAsync(options with { Seed = 43 }, Path.Combine(_root, "c", "landing"), Path.Combine(_root, "c", "run"), CancellationToken.None);

        // Assert
        Assert.True(first.Files.Count > 7);
        Assert.Equal(Relative(first, "a"), Relative(second, "b"));
        foreach (var (a, b) in first.Files.OrderBy(f => f.Path).Zip(second.Files.OrderBy(f => f.Path)))
        {
            Assert.Equal(await File.ReadAllBytesAsync(a.Path), await File.ReadAllBytesAsync(b.Path));
        }

        foreach (var truth in new[] { "manifest.json", "labels.csv", "identities.csv" })
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(_root, "a", "run", truth)), await File.ReadAllBytesAsync(Path.Combine(_root, "b", "run", truth)));
        }

        Assert.NotEqual(first.Files.Select(f => f.Sha256).Order(), other.Files.Select(f => f.Sha256).Order());
    }

    [Fact]
    public async Task Population_FollowsTheSpecifiedDistributions()
    {
        // Arrange: no defects, so that every value is a clean draw.
        var options = new GenerationOptions { Patients = 20_000, AsOf = AsOf, Defects = DefectRates.None, PartRows = 1_000_000 };
        var landing = Path.Combine(_root, "landing");

        // Act
        await DataSetGenerator.GenerateAsync(options, landing, Path.Combine(_root, "run"), CancellationToken.None);
        var zone = LandingZone.Read(landing, Path.Combine(_root, "run"));

        // Assert
        var ehr = zone.Files.Single(f => f is { Entity: "patients", SourceSystem: "EHR_SYSTEM" });
        Assert.Equal(options.Patients, ehr.Rows.Count);
        var asOf = DateOnly.FromDateTime(AsOf.UtcDateTime);
        var ages = Column(ehr, "date_of_birth", v => (double)Age(DateOnly.ParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture), asOf));
        var bmis = Column(ehr, "bmi", v => double.Parse(v, CultureInfo.InvariantCulture));
        var smokers = Column(ehr, "smoker", v => v == "yes" ? 1.0 : 0.0);
        var charges = Column(ehr, "charges", v => double.Parse(v, CultureInfo.InvariantCulture));
        var children = Column(ehr, "children", v => double.Parse(v, CultureInfo.InvariantCulture));

        Assert.InRange(ages.Average(), 44.3, 46.3);
        Assert.InRange(StandardDeviation(ages), 13.5, 15.5);
        Assert.InRange(ages.Min(), 18, 18);
        Assert.InRange(ages.Max(), 85, 85);
        Assert.InRange(bmis.Average(), 27.5, 28.5);
        Assert.InRange(StandardDeviation(bmis), 5.4, 6.4);
        Assert.True(bmis.Min() >= 16 && bmis.Max() <= 50);
        Assert.InRange(smokers.Average(), 0.15, 0.25);
        Assert.InRange(children.Average(), 1.1, 1.3);

        // Premiums move as in the medical cost data set: smokers pay about 3-4.5 times more, and they rise with age.
        var smokerCharges = charges.Where((_, i) => smokers[i] == 1).Average();
        var otherCharges = charges.Where((_, i) => smokers[i] == 0).Average();
        Assert.InRange(smokerCharges / otherCharges, 3.0, 4.6);
        Assert.True(Correlation(ages.Where((_, i) => smokers[i] == 0).ToArray(), charges.Where((_, i) => smokers[i] == 0).ToArray()) > 0.5);

        var claims = zone.Files.Where(f => f.Entity == "claims").Sum(f => f.Rows.Count) / (double)options.Patients;
        var events = zone.Files.Where(f => f.Entity == "medical_events").Sum(f => f.Rows.Count) / (double)options.Patients;
        Assert.InRange(claims, 2.0, 5.0);
        Assert.InRange(events, 3.0, 8.0);

        // Claims fall after coverage start, and no date lies after the run's as-of.
        var coverage = ehr.Rows.ToDictionary(r => r[0], r => DateOnly.ParseExact(r[Array.IndexOf(ehr.Header, "coverage_start_date")], "yyyy-MM-dd", CultureInfo.InvariantCulture));
        foreach (var claim in zone.Files.Where(f => f.Entity == "claims").SelectMany(f => Enumerable.Range(0, f.Rows.Count).Select(i => (Patient: f.Field(i, "patient_id")!, Date: f.Field(i, "claim_date")!))))
        {
            var date = DateOnly.ParseExact(claim.Date, "dd-MMM-yyyy", CultureInfo.InvariantCulture);
            Assert.InRange(date, coverage[claim.Patient], asOf);
        }

        // Without defects the only gaps are the birth dates some ADT/LAB registrations lack (an identity variation, labelled).
        Assert.All(DefectDetector.Detect(zone.Files, AsOf, new HashSet<(string, long)>()), f => Assert.Equal(("missing_required_field", "date_of_birth"), (f.Label, f.Detail)));
    }

    [Fact]
    public async Task Increment_AddsNewPeople_AndUpdatesExistingOnes()
    {
        // Arrange: a base population, then an increment an hour later continuing it.
        var baseOptions = new GenerationOptions { Patients = 3_000, AsOf = AsOf, Defects = DefectRates.None };
        var landing = Path.Combine(_root, "landing");
        await DataSetGenerator.GenerateAsync(baseOptions, landing, Path.Combine(_root, "base"), CancellationToken.None);
        var increment = baseOptions with { Patients = 200, PatientOffset = 3_000, UpdatedPatients = 100, AsOf = AsOf.AddHours(1) };

        // Act
        var result = await DataSetGenerator.GenerateAsync(increment, landing, Path.Combine(_root, "increment"), CancellationToken.None);

        // Assert
        var before = LandingZone.ReadFile(Directory.EnumerateFiles(Path.Combine(landing, "patients"), "patients_260501_0830_*").Order().First());
        var after = LandingZone.ReadFile(result.Files.First(f => f is { Entity: "patients", SourceSystem: "EHR_SYSTEM" }).Path);
        var labels = LandingZone.ReadTable(result.LabelsPath);
        var updates = labels.Where(l => l["label"] is "address_move" or "plan_change").ToList();
        Assert.Equal(100, updates.Count);
        Assert.Equal(300, after.Rows.Count);
        Assert.Equal(200, after.Rows.Select(r => r[0]).Count(id => int.Parse(id[1..], CultureInfo.InvariantCulture) > 3_000));

        var original = before.Rows.ToDictionary(r => r[0]);
        foreach (var update in updates)
        {
            var row = after.Rows[int.Parse(update["row_number"], CultureInfo.InvariantCulture) - 1];
            var earlier = original[row[0]];
            var column = update["label"] == "address_move" ? "address_line1" : "insurance_plan";
            var index = Array.IndexOf(after.Header, column);
            Assert.NotEqual(earlier[index], row[index]);
            Assert.Equal(earlier[Array.IndexOf(after.Header, "ssn")], row[Array.IndexOf(after.Header, "ssn")]);
            Assert.True(string.CompareOrdinal(row[^1], earlier[^1]) > 0, "the update is later than the original record");
        }
    }

    [Fact]
    public async Task InvalidOptions_AreRejected_NamingTheField()
    {
        var landing = Path.Combine(_root, "landing");

        var patients = await Assert.ThrowsAsync<ArgumentException>(() => DataSetGenerator.GenerateAsync(new GenerationOptions { Patients = -1 }, landing, Path.Combine(_root, "r"), CancellationToken.None));
        var rate = await Assert.ThrowsAsync<ArgumentException>(() => DataSetGenerator.GenerateAsync(new GenerationOptions { Defects = new DefectRates { ExactDuplicate = 1.5 } }, landing, Path.Combine(_root, "r"), CancellationToken.None));
        var sources = await Assert.ThrowsAsync<ArgumentException>(() => DataSetGenerator.GenerateAsync(new GenerationOptions { Sources = ["LAB_SYSTEM"] }, landing, Path.Combine(_root, "r"), CancellationToken.None));
        var inside = await Assert.ThrowsAsync<ArgumentException>(() => DataSetGenerator.GenerateAsync(new GenerationOptions { Patients = 10 }, landing, Path.Combine(landing, "claims", "run"), CancellationToken.None));

        Assert.Contains("patients", patients.Message, StringComparison.Ordinal);
        Assert.Contains("defects.exactDuplicate", rate.Message, StringComparison.Ordinal);
        Assert.Contains("sources", sources.Message, StringComparison.Ordinal);
        Assert.Contains("run folder", inside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameAsOfMinuteTwice_FailsInsteadOfOverwritingLandedFiles()
    {
        var landing = Path.Combine(_root, "landing");
        var options = new GenerationOptions { Patients = 50, AsOf = AsOf };
        var first = await DataSetGenerator.GenerateAsync(options, landing, Path.Combine(_root, "one"), CancellationToken.None);
        var bytes = await File.ReadAllBytesAsync(first.Files[0].Path);

        await Assert.ThrowsAsync<IOException>(() => DataSetGenerator.GenerateAsync(options with { Seed = 1 }, landing, Path.Combine(_root, "two"), CancellationToken.None));

        Assert.Equal(bytes, await File.ReadAllBytesAsync(first.Files[0].Path));
        Assert.Empty(Directory.EnumerateFiles(landing, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Sources_LimitWhatIsWritten()
    {
        var landing = Path.Combine(_root, "landing");
        var result = await DataSetGenerator.GenerateAsync(new GenerationOptions { Patients = 200, AsOf = AsOf, Sources = ["EHR_SYSTEM", "CLAIMS_SYSTEM"] }, landing, Path.Combine(_root, "run"), CancellationToken.None);

        Assert.Equal(["CLAIMS_SYSTEM", "EHR_SYSTEM"], result.Files.Select(f => f.SourceSystem).Distinct().Order());
        Assert.Equal(3, result.Files.Count);
    }

    private static List<string> Relative(GenerationResult result, string run) =>
        [.. result.Files.Select(f => Path.GetRelativePath(Path.Combine(Path.GetDirectoryName(result.ManifestPath)!, "..", "landing"), f.Path)).Order(StringComparer.Ordinal)];

    private static double[] Column(LandedFile file, string column, Func<string, double> parse) =>
        [.. Enumerable.Range(0, file.Rows.Count).Select(i => parse(file.Field(i, column)!))];

    private static int Age(DateOnly birth, DateOnly at) => at.Year - birth.Year - (birth.AddYears(at.Year - birth.Year) > at ? 1 : 0);

    private static double StandardDeviation(double[] values)
    {
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static double Correlation(double[] x, double[] y)
    {
        var (mx, my) = (x.Average(), y.Average());
        var cov = x.Zip(y).Sum(p => (p.First - mx) * (p.Second - my));
        return cov / Math.Sqrt(x.Sum(v => (v - mx) * (v - mx)) * y.Sum(v => (v - my) * (v - my)));
    }
}
