using HealthMedallion.Generator.Generation;
using HealthMedallion.Generator.Tests.Support;
using Xunit;

namespace HealthMedallion.Generator.Tests;

/// <summary>One generated data set with every defect class at a raised rate, read back once for a test class.</summary>
public sealed class GeneratedDataSetFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset AsOf = new(2026, 3, 14, 9, 26, 0, TimeSpan.Zero);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-generator-tests", Guid.NewGuid().ToString("N"));

    public string LandingRoot => Path.Combine(_root, "landing");

    public string RunFolder => Path.Combine(_root, "runs", "r1");

    public GenerationOptions Options { get; } = new()
    {
        Patients = 6_000,
        Seed = 7,
        AsOf = AsOf,
        PartRows = 5_000,
        Defects = new DefectRates
        {
            MissingRequiredField = 0.01, UnparseableDate = 0.01, FutureDate = 0.01, OutOfRangeAge = 0.01, OutOfRangeBmi = 0.01,
            InvalidClaimAmount = 0.01, MalformedIcd10 = 0.01, UnknownClaimStatus = 0.01, UnknownEventType = 0.01, TestPatient = 0.01,
            OrphanReference = 0.01, ExactDuplicate = 0.01, CorrectedResend = 0.01, ExtraColumn = 0.4, TruncatedLastLine = 0.4,
        },
    };

    public GenerationResult Result { get; private set; } = null!;

    public LandingZone Zone { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Result = await DataSetGenerator.GenerateAsync(Options, LandingRoot, RunFolder, CancellationToken.None);
        Zone = LandingZone.Read(LandingRoot, RunFolder);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
