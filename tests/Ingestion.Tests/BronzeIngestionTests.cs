using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HealthMedallion.Contracts;
using HealthMedallion.Ingestion.Apis;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.Ingestion.Tests.Support;
using HealthMedallion.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace HealthMedallion.Ingestion.Tests;

/// <summary>Landed files into bronze: every row, its lineage, its batches and events, discovered by scan or by event.</summary>
public sealed class BronzeIngestionTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly LandingZone _landing = new();
    private readonly BronzeQueries _bronze = new(services.Postgres);
    private ServiceFactory<Program> _service = null!;

    public Task InitializeAsync()
    {
        _service = IngestionHost.Create(services, _landing.Root, new Dictionary<string, string?>
        {
            ["Ingestion:BatchRows"] = "1000",
            ["Ingestion:PipelineEnvironment"] = "test",
            ["Ingestion:RepublishAfter"] = "00:00:00",
        });
        _service.Started();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _bronze.DisposeAsync();
        _landing.Dispose();
    }

    [Fact]
    public async Task ScannedFile_LandsEveryRow_WithItsLineage()
    {
        // Arrange: a source's own column subset and order, header names in another case.
        var path = _landing.Write(Entities.Patients, "patients_241122_0101.csv",
            "MRN,Patient_ID,first_name,source_system,bmi\nM1,P1,Ann,ADT_SYSTEM,22.5\nM2,P2,\"Bo, Jr\",ADT_SYSTEM,\n");

        // Act
        var file = await _bronze.FinishedAsync(path);

        // Assert
        Assert.Equal((FileStatus.Ingested, 2L, 0L), (file.Status, file.Rows, file.Rescued));
        var rows = await _bronze.RowsAsync("""
            SELECT patient_id, mrn, first_name, bmi, gender, _source_system, _file_name, _file_path, _file_size, _file_modification_time,
                   _row_number, _rescued_data, _pipeline_env, _batch_id, _ingested_at
            FROM bronze.patients WHERE _file_path = @path ORDER BY _row_number
            """, ("path", path));
        Assert.Equal(2, rows.Count);
        Assert.Equal(["P1", "M1", "Ann", "22.5", null], rows[0][..5]);
        Assert.Equal(["P2", "M2", "Bo, Jr", null, null], rows[1][..5]);
        var info = new FileInfo(path);
        foreach (var (row, number) in rows.Zip([1L, 2L]))
        {
            Assert.Equal("ADT_SYSTEM", row[5]);
            Assert.Equal("patients_241122_0101.csv", row[6]);
            Assert.Equal(path, row[7]);
            Assert.Equal(info.Length, row[8]);
            Assert.Equal(LandedFile.ModificationTime(path), ((DateTime)row[9]!).ToUniversalTime());
            Assert.Equal(number, row[10]);
            Assert.Null(row[11]);
            Assert.Equal("test", row[12]);
            Assert.NotNull(row[14]);
        }

        var batch = await _bronze.RowsAsync("SELECT batch_id, sequence, first_row, rows, published_at FROM bronze.batches WHERE file_id = @id", ("id", file.FileId));
        Assert.Single(batch);
        Assert.Equal(batch[0][0], rows[0][13]);
        Assert.Equal([0, 1L, 2L], batch[0][1..4]);
    }

    [Fact]
    public async Task AnnouncedFile_IsIngested_WithTheEventsSourceSystem_AndOneEventPerBatch()
    {
        // Arrange
        using var published = await BoundQueue.CreateAsync<BronzeBatchIngested>(services);
        var path = _landing.WriteClaims("claims_241122_0102.csv", 2500);
        var info = new FileInfo(path);
        var announced = new LandingFileCreated(Guid.NewGuid(), Path.GetRelativePath(_landing.Root, path), Entities.Claims, "CLAIMS_SYSTEM", info.Length, await Sha256Async(path));

        // Act
        await _service.Services.GetRequiredService<IBus>().Publish(announced);
        var file = await _bronze.FinishedAsync(path);

        // Assert: 3 batches of at most 1000 rows, contiguous, each published once.
        Assert.Equal((FileStatus.Ingested, 2500L), (file.Status, file.Rows));
        var discovered = await _bronze.RowsAsync("SELECT discovered_by, announced_file_id, source_system FROM bronze.files WHERE file_id = @id", ("id", file.FileId));
        Assert.Equal(["event", announced.FileId, "CLAIMS_SYSTEM"], discovered[0]);
        var batches = await _bronze.RowsAsync("SELECT batch_id, first_row, rows FROM bronze.batches WHERE file_id = @id ORDER BY sequence", ("id", file.FileId));
        Assert.Equal([(1L, 1000L), (1001L, 1000L), (2001L, 500L)], batches.Select(b => ((long)b[1]!, (long)b[2]!)));
        var events = await published.CollectUntilAsync(m => m.Count(e => e.GetProperty("fileId").GetGuid() == file.FileId) >= 3, TimeSpan.FromSeconds(10));
        var ours = events.Where(e => e.GetProperty("fileId").GetGuid() == file.FileId).ToList();
        Assert.Equal(batches.Select(b => (Guid)b[0]!).Order(), ours.Select(e => e.GetProperty("batchId").GetGuid()).Distinct().Order());
        Assert.All(ours, e => Assert.Equal(Entities.Claims, e.GetProperty("entity").GetString()));
        Assert.Equal(2500, await _bronze.ScalarAsync<long>("SELECT count(DISTINCT _row_number) FROM bronze.claims WHERE _file_path = @path", ("path", path)));
    }

    [Fact]
    public async Task RedeliveredEvents_AndAScan_OfTheSameFile_IngestItOnce()
    {
        // Arrange
        var path = _landing.WriteClaims("claims_241122_0103.csv", 1500);
        var info = new FileInfo(path);
        var announced = new LandingFileCreated(Guid.NewGuid(), path, Entities.Claims, "CLAIMS_SYSTEM", info.Length, await Sha256Async(path));
        var bus = _service.Services.GetRequiredService<IBus>();

        // Act: the same event three times while the scanner sees the file too.
        await Task.WhenAll(bus.Publish(announced), bus.Publish(announced), bus.Publish(announced));
        await _bronze.FinishedAsync(path);
        await bus.Publish(announced);
        await Task.Delay(1000);

        // Assert
        var files = await _bronze.FilesAsync(path);
        Assert.Single(files);
        Assert.Equal(1500, await _bronze.CountAsync("claims", path));
        Assert.Equal(2, await _bronze.ScalarAsync<long>("SELECT count(*) FROM bronze.batches WHERE file_id = @id", ("id", files[0].FileId)));
    }

    [Fact]
    public async Task ChangedFile_UnderTheSameName_IsANewVersion()
    {
        var path = _landing.WriteClaims("claims_241122_0104.csv", 10, prefix: "A");
        var first = await _bronze.FinishedAsync(path);

        _landing.WriteClaims("claims_241122_0104.csv", 12, prefix: "B");
        await Eventually.TrueAsync(async () => (await _bronze.FilesAsync(path)).Count(f => f.Status == FileStatus.Ingested) == 2, TimeSpan.FromSeconds(20));

        var files = await _bronze.FilesAsync(path);
        Assert.Equal([(first.FileId, 10L), (files[1].FileId, 12L)], files.Select(f => (f.FileId, f.Rows)));
        Assert.Equal(22, await _bronze.CountAsync("claims", path));
    }

    [Fact]
    public async Task FileChangedBetweenDiscoveryAndIngestion_ThatVersionIsRejected_AndTheNewOneIngested()
    {
        // Arrange: a version claimed (as a crashed ingester would leave it) whose file was rewritten before anyone
        // resumed it. The old bytes are only ever written under a temporary name (which the scanner ignores),
        // so the scanner, which settles no time in these tests, can never ingest them first.
        var draft = _landing.WriteClaims("claims_241122_0115.csv.tmp", 5, prefix: "OLD");
        var path = draft[..^".tmp".Length];
        var oldVersion = await LandedFile.FingerprintAsync(draft, Entities.Claims, CancellationToken.None) with { Path = path };
        File.Delete(draft);
        _landing.WriteClaims("claims_241122_0115.csv", 7, prefix: "NEW");
        var claimed = await _service.Services.GetRequiredService<FileCheckpoints>().ClaimAsync(
            oldVersion, "CLAIMS_SYSTEM", "scan", null, CancellationToken.None);

        // Act
        var outcome = await _service.Services.GetRequiredService<FileIngester>().ResumeAsync(claimed.FileId, null, CancellationToken.None);
        await Eventually.TrueAsync(async () => (await _bronze.FilesAsync(path)).Any(f => f.Status == FileStatus.Ingested), TimeSpan.FromSeconds(20));

        // Assert: no row of the vanished version, every row of the new one (whoever of the scanner and this call got there first).
        var files = await _bronze.FilesAsync(path);
        var old = files.Single(f => f.FileId == claimed.FileId);
        Assert.Equal(FileStatus.Rejected, old.Status);
        Assert.Contains("changed after it was discovered", old.Error, StringComparison.Ordinal);
        Assert.NotEqual(FileStatus.Ingested, outcome.Status);
        Assert.Equal(7, files.Single(f => f.Status == FileStatus.Ingested).Rows);
        Assert.Equal(7, await _bronze.CountAsync("claims", path));
    }

    [Fact]
    public async Task AnnouncedPathOutsideTheLandingZone_IsNotRead()
    {
        // Arrange
        var outside = Path.Combine(Path.GetTempPath(), $"claims_outside_{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(outside, "claim_id\nX\n");
        var witness = _landing.WriteClaims("claims_241122_0116.csv", 1);

        // Act
        await _service.Services.GetRequiredService<IBus>().Publish(new LandingFileCreated(Guid.NewGuid(), outside, Entities.Claims, "CLAIMS_SYSTEM", 11, new string('0', 64)));
        await _bronze.FinishedAsync(witness);
        await Task.Delay(500);

        // Assert
        Assert.Empty(await _bronze.FilesAsync(outside));
        File.Delete(outside);
    }

    [Fact]
    public async Task TemporaryHiddenAndNonCsvFiles_AreIgnored()
    {
        // Arrange
        var folder = Directory.CreateDirectory(Path.Combine(_landing.Root, Entities.Claims)).FullName;
        var content = "claim_id,source_system\nX1,CLAIMS_SYSTEM\n";
        string[] ignored = [Path.Combine(folder, "claims_241122_0105.csv.tmp"), Path.Combine(folder, ".claims_241122_0105.csv"), Path.Combine(folder, "claims_241122_0105.txt")];
        foreach (var path in ignored)
        {
            await File.WriteAllTextAsync(path, content);
        }

        // Act: a real file after them, so a scan has certainly seen all of them.
        var taken = _landing.Write(Entities.Claims, "claims_241122_0105.csv", content);
        await _bronze.FinishedAsync(taken);

        // Assert
        foreach (var path in ignored)
        {
            Assert.Empty(await _bronze.FilesAsync(path));
        }
    }

    public static TheoryData<string, string, string, long, long, string?> MalformedFiles => new()
    {
        // case, entity, content, expected rows (-1: rejected), expected rescued rows, expected reason or rescued error
        { "wrong column count", Entities.Claims, "claim_id,patient_id,claim_amount\nC1,P1,10\nC2,P2,20,EXTRA\nC3,P3\n", 3, 2, "wrong field count" },
        { "unclosed quote", Entities.Claims, "claim_id,patient_id\nC1,\"P1\nC2,P2\n", 2, 1, "unclosed quote" },
        { "truncated last line", Entities.Claims, "claim_id,patient_id,claim_amount\nC1,P1,10\nC2,P", 2, 1, "wrong field count" },
        { "empty", Entities.Claims, "", -1, 0, "empty file" },
        { "header only", Entities.Claims, "claim_id,patient_id,claim_amount\n", 0, 0, null },
        { "no header", Entities.Claims, "C1,P1,10\nC2,P2,20\n", -1, 0, "no header row" },
        { "BOM and CRLF", Entities.Claims, "\uFEFFclaim_id,patient_id\r\nC1,P1\r\nC2,P2\r\n", 2, 0, null },
        { "extra unknown column", Entities.Claims, "claim_id,loyalty_tier,patient_id\nC1,gold,P1\n", 1, 1, null },
        { "exact duplicate rows", Entities.Claims, "claim_id,patient_id\nC1,P1\nC1,P1\n", 2, 0, null },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public async Task MalformedFile_LandsWhatItCan_OrIsRejectedWithItsReason(string @case, string entity, string content, long rows, long rescued, string? reason)
    {
        var path = _landing.Write(entity, $"{entity}_241122_0106_{@case.Replace(' ', '_')}.csv", content);

        var file = await _bronze.FinishedAsync(path);

        if (rows < 0)
        {
            Assert.Equal(FileStatus.Rejected, file.Status);
            Assert.Contains(reason!, file.Error, StringComparison.Ordinal);
            Assert.Equal(0, await _bronze.CountAsync(entity, path));
            return;
        }

        Assert.Equal((FileStatus.Ingested, rows, rescued), (file.Status, file.Rows, file.Rescued));
        Assert.Equal(rows, await _bronze.CountAsync(entity, path));
        Assert.Equal(rescued, await _bronze.ScalarAsync<long>($"SELECT count(*) FROM bronze.{entity} WHERE _file_path = @path AND _rescued_data IS NOT NULL", ("path", path)));
        if (reason is not null)
        {
            var errors = await _bronze.RowsAsync($"SELECT _rescued_data->>'_error', _rescued_data->>'_raw' FROM bronze.{entity} WHERE _file_path = @path AND _rescued_data IS NOT NULL", ("path", path));
            Assert.All(errors, e => Assert.Contains(reason, (string)e[0]!, StringComparison.Ordinal));
            Assert.All(errors, e => Assert.Contains((string)e[1]!, content, StringComparison.Ordinal));
        }

        if (@case == "BOM and CRLF")
        {
            Assert.Equal(["C1", "P1"], (await _bronze.RowsAsync("SELECT claim_id, patient_id FROM bronze.claims WHERE _file_path = @path AND _row_number = 1", ("path", path)))[0]);
        }

        if (@case == "extra unknown column")
        {
            var row = await _bronze.RowsAsync("SELECT claim_id, patient_id, _rescued_data::text FROM bronze.claims WHERE _file_path = @path", ("path", path));
            Assert.Equal(["C1", "P1"], row[0][..2]);
            Assert.Equal("""{"loyalty_tier": "gold"}""", row[0][2]);
        }
    }

    [Fact]
    public async Task EmptyFields_UnquotedAreNull_QuotedAreEmptyStrings_AsPostgresCsvCopyReadsThem()
    {
        var path = _landing.Write(Entities.MedicalEvents, "medical_events_241122_0114.csv", "event_id,lab_value,lab_unit\nE1,,\"\"\n");

        await _bronze.FinishedAsync(path);

        var row = await _bronze.RowsAsync("SELECT lab_value IS NULL, lab_unit, _source_system FROM bronze.medical_events WHERE _file_path = @path", ("path", path));
        Assert.Equal([true, "", FileIngester.UnknownSourceSystem], row[0]); // and no source_system column: the source is unknown
    }

    [Fact]
    public async Task BinaryGarbage_IsRejected()
    {
        var garbage = new byte[64 * 1024];
        new Random(42).NextBytes(garbage);
        garbage[10] = 0;

        var path = _landing.Write(Entities.MedicalEvents, "medical_events_241122_0107.csv", garbage);
        var file = await _bronze.FinishedAsync(path);

        Assert.Equal(FileStatus.Rejected, file.Status);
        Assert.Contains("binary content", file.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidUtf8Row_IsKept_WithItsExactBytes()
    {
        var bytes = Encoding.UTF8.GetBytes("event_id,patient_id\nE1,P1\n").Concat(new byte[] { (byte)'E', (byte)'2', (byte)',', 0xC3, 0x28, 0, (byte)'\n' }).ToArray();

        var path = _landing.Write(Entities.MedicalEvents, "medical_events_241122_0108.csv", bytes);
        var file = await _bronze.FinishedAsync(path);

        Assert.Equal((FileStatus.Ingested, 2L, 1L), (file.Status, file.Rows, file.Rescued));
        var rescued = await _bronze.RowsAsync("SELECT event_id, _rescued_data->>'_raw_base64' FROM bronze.medical_events WHERE _file_path = @path AND _row_number = 2", ("path", path));
        Assert.Null(rescued[0][0]);
        Assert.Equal(bytes[^7..^1], Convert.FromBase64String((string)rescued[0][1]!));
    }

    [Fact]
    public async Task OneMegabyteField_Lands_Whole()
    {
        var big = new string('n', 1024 * 1024);

        var path = _landing.Write(Entities.MedicalEvents, "medical_events_241122_0109.csv", $"event_id,medical_provider\nE1,\"{big}\"\nE2,Dr B\n");
        var file = await _bronze.FinishedAsync(path);

        Assert.Equal((FileStatus.Ingested, 2L, 0L), (file.Status, file.Rows, file.Rescued));
        Assert.Equal(big.Length, await _bronze.ScalarAsync<int>("SELECT length(medical_provider) FROM bronze.medical_events WHERE _file_path = @path AND _row_number = 1", ("path", path)));
    }

    [Fact]
    public async Task RejectedFile_RaisesAnAlert_AndCanBeRetriedThroughTheApi()
    {
        // Arrange. Alerts are published at least once (the relay may re-publish one whose mark was not yet written),
        // so they are told apart by id.
        using var alerts = await BoundQueue.CreateAsync<QualityAlertRaised>(services);
        using var client = _service.CreateClient();
        var path = _landing.Write(Entities.Patients, "patients_241122_0110.csv", "");
        bool ForPath(JsonElement a) => a.GetProperty("message").GetString()!.Contains(path, StringComparison.Ordinal);
        static Guid IdOf(JsonElement a) => a.GetProperty("alertId").GetGuid();
        var rejected = await _bronze.FinishedAsync(path);
        var first = await alerts.CollectUntilAsync(m => m.Any(ForPath), TimeSpan.FromSeconds(10));
        var alert = first.First(ForPath);

        // Act
        using var retry = await client.PostAsync(new Uri($"/api/ingestion/files/{rejected.FileId}/retry", UriKind.Relative), null);
        var again = await alerts.CollectUntilAsync(m => m.Any(a => ForPath(a) && IdOf(a) != IdOf(alert)), TimeSpan.FromSeconds(10));

        // Assert: one alert for the rejection, and a new one for the rejection after the retry (same content).
        Assert.Single(first.Where(ForPath).Select(IdOf).Distinct());
        Assert.Equal("bronze", alert.GetProperty("layer").GetString());
        Assert.Equal(Entities.Patients, alert.GetProperty("entity").GetString());
        Assert.Contains("empty file", alert.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Single(again.Where(ForPath).Select(IdOf).Where(id => id != IdOf(alert)).Distinct());
        Assert.Equal(FileStatus.Rejected, (await _bronze.FinishedAsync(path)).Status);
    }

    [Fact]
    public async Task Api_ListsFilesByStatusAndEntity_ShowsOne_AndCountsThem()
    {
        // Arrange
        using var client = _service.CreateClient();
        var good = _landing.WriteClaims("claims_241122_0111.csv", 3);
        var bad = _landing.Write(Entities.Claims, "claims_241122_0112.csv", "");
        var goodFile = await _bronze.FinishedAsync(good);
        await _bronze.FinishedAsync(bad);

        // Act
        var rejected = await client.GetFromJsonAsync<List<IngestedFile>>(new Uri("/api/ingestion/files?status=rejected&entity=claims", UriKind.Relative));
        var one = await client.GetFromJsonAsync<IngestedFile>(new Uri($"/api/ingestion/files/{goodFile.FileId}", UriKind.Relative));
        using var missing = await client.GetAsync(new Uri($"/api/ingestion/files/{Guid.NewGuid()}", UriKind.Relative));
        using var invalid = await client.GetAsync(new Uri("/api/ingestion/files?status=lost", UriKind.Relative));
        using var notRejected = await client.PostAsync(new Uri($"/api/ingestion/files/{goodFile.FileId}/retry", UriKind.Relative), null);
        var stats = await client.GetFromJsonAsync<IngestionStats>(new Uri("/api/ingestion/stats", UriKind.Relative));

        // Assert
        Assert.NotNull(rejected);
        Assert.Contains(rejected, f => f.Path == bad);
        Assert.All(rejected, f => Assert.Equal((FileStatus.Rejected, Entities.Claims), (f.Status, f.Entity)));
        Assert.Equal((good, FileStatus.Ingested, 3L, "CLAIMS_SYSTEM", "scan"), (one!.Path, one.Status, one.Rows, one.SourceSystem, one.DiscoveredBy));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("status", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, notRejected.StatusCode);
        Assert.NotNull(stats);
        Assert.True(stats.Rejected >= 1 && stats.Ingested >= 1 && stats.Rows >= 3);
        Assert.Equal(stats.Files, stats.Entities.Sum(e => e.Files));
    }

    [Fact]
    public async Task CommittedBatchesWhoseEventWasNotPublished_ArePublishedAgain()
    {
        // Arrange: an ingested file whose batch events are then "lost" (as if the process died right after the commit).
        var path = _landing.WriteClaims("claims_241122_0113.csv", 1200);
        var file = await _bronze.FinishedAsync(path);
        await Eventually.TrueAsync(async () => await _bronze.ScalarAsync<long>("SELECT count(*) FROM bronze.batches WHERE file_id = @id AND published_at IS NULL", ("id", file.FileId)) == 0, TimeSpan.FromSeconds(10));
        using var published = await BoundQueue.CreateAsync<BronzeBatchIngested>(services);

        // Act
        await _bronze.ScalarAsync<int>("WITH lost AS (UPDATE bronze.batches SET published_at = NULL WHERE file_id = @id RETURNING 1) SELECT count(*)::int FROM lost", ("id", file.FileId));

        // Assert: the relay publishes both again and marks them.
        var events = await published.CollectUntilAsync(m => m.Count(e => e.GetProperty("fileId").GetGuid() == file.FileId) >= 2, TimeSpan.FromSeconds(15));
        Assert.Equal(2, events.Count(e => e.GetProperty("fileId").GetGuid() == file.FileId));
        Assert.True(await Eventually.TrueAsync(async () => await _bronze.ScalarAsync<long>("SELECT count(*) FROM bronze.batches WHERE file_id = @id AND published_at IS NULL", ("id", file.FileId)) == 0, TimeSpan.FromSeconds(10)));
    }

    private static async Task<string> Sha256Async(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream));
    }
}
