using System.Diagnostics;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.Ingestion.Tests.Support;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Ingestion.Tests;

/// <summary>Exactly once when instances race and when one is killed in the middle of a file.</summary>
public sealed class ExactlyOnceTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly LandingZone _landing = new();
    private readonly BronzeQueries _bronze = new(services.Postgres);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _bronze.DisposeAsync();
        _landing.Dispose();
    }

    [Fact]
    public async Task TwoInstances_ScanningTheSameLandingZone_IngestEveryFileOnce()
    {
        // Arrange
        var paths = Enumerable.Range(1, 8).Select(i => _landing.WriteClaims($"claims_241122_02{i:00}.csv", 3000 + i)).ToList();
        var settings = new Dictionary<string, string?> { ["Ingestion:BatchRows"] = "1000", ["Landing:ScanInterval"] = "00:00:00.05" };
        await using var first = IngestionHost.Create(services, _landing.Root, settings);
        await using var second = IngestionHost.Create(services, _landing.Root, settings);

        // Act
        await Task.WhenAll(Task.Run(() => first.Started()), Task.Run(() => second.Started()));
        foreach (var path in paths)
        {
            await _bronze.FinishedAsync(path);
        }

        // Assert
        foreach (var (path, i) in paths.Select((p, i) => (p, i + 1)))
        {
            var files = await _bronze.FilesAsync(path);
            Assert.Equal((FileStatus.Ingested, 3000L + i), (Assert.Single(files).Status, files[0].Rows));
            Assert.Equal(3000L + i, await _bronze.CountAsync("claims", path));
            Assert.Equal(3000L + i, await _bronze.ScalarAsync<long>("SELECT count(DISTINCT _row_number) FROM bronze.claims WHERE _file_path = @path", ("path", path)));
        }
    }

    [Fact]
    public async Task KilledInTheMiddleOfAFile_TheNextInstanceResumes_WithoutDuplicatesOrLoss()
    {
        // Arrange: a file of many small batches, and the service as a real process.
        const int rows = 400_000;
        var path = _landing.WriteClaims("claims_241122_0301.csv", rows);
        using var process = StartServiceProcess(batchRows: 10_000);

        // Act: kill it (SIGKILL) once some batches are committed and the file is not finished.
        long committed = 0;
        var midway = await Eventually.TrueAsync(
            async () =>
            {
                committed = await _bronze.ScalarAsync<long>("SELECT coalesce(max(rows), 0) FROM bronze.files WHERE path = @path AND status = 'ingesting'", ("path", path));
                return committed >= 20_000;
            },
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(20));
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        var afterKill = await _bronze.FilesAsync(path);

        await using var restarted = IngestionHost.Create(services, _landing.Root, new Dictionary<string, string?> { ["Ingestion:BatchRows"] = "10000" });
        restarted.Started();
        var finished = await _bronze.FinishedAsync(path, TimeSpan.FromSeconds(60));

        // Assert
        Assert.True(midway, "the service did not commit a batch in time");
        Assert.Equal(FileStatus.Ingesting, Assert.Single(afterKill).Status);
        Assert.InRange(afterKill[0].Rows, 20_000, rows - 1);
        Assert.Equal((FileStatus.Ingested, (long)rows), (finished.Status, finished.Rows));
        Assert.Equal(rows, await _bronze.CountAsync("claims", path));
        Assert.Equal(rows, await _bronze.ScalarAsync<long>("SELECT count(DISTINCT _row_number) FROM bronze.claims WHERE _file_path = @path", ("path", path)));
        Assert.Equal(rows, await _bronze.ScalarAsync<long>("SELECT count(DISTINCT claim_id) FROM bronze.claims WHERE _file_path = @path", ("path", path)));
        var batches = await _bronze.RowsAsync("SELECT sequence, first_row, rows FROM bronze.batches WHERE file_id = @id ORDER BY sequence", ("id", finished.FileId));
        Assert.Equal(Enumerable.Range(0, batches.Count), batches.Select(b => (int)b[0]!));
        Assert.Equal(rows, batches.Sum(b => (long)b[2]!));
        Assert.True(batches.Zip(batches.Skip(1)).All(p => (long)p.First[1]! + (long)p.First[2]! == (long)p.Second[1]!), "batches are not contiguous");
    }

    private Process StartServiceProcess(int batchRows)
    {
        var dll = Path.Combine(SolutionRoot(), "services", "Ingestion", "bin", "Debug", "net10.0", "HealthMedallion.Ingestion.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__medallion"] = services.Postgres;
        start.Environment["ConnectionStrings__messaging"] = services.RabbitMq;
        start.Environment["Landing__Root"] = _landing.Root;
        start.Environment["Landing__ScanInterval"] = "00:00:00.2";
        start.Environment["Landing__SettleTime"] = "00:00:00";
        start.Environment["Ingestion__BatchRows"] = batchRows.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["OTEL_SERVICE_NAME"] = "ingestion";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string SolutionRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "HealthMedallion.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("The solution root was not found above " + AppContext.BaseDirectory);
    }
}
