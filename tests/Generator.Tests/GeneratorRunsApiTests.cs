using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HealthMedallion.Generator.Generation;
using HealthMedallion.Generator.Runs;
using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace HealthMedallion.Generator.Tests;

/// <summary>The runs API end to end: real Postgres, real RabbitMQ, real files.</summary>
public sealed class GeneratorRunsApiTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "hm-generator-tests", Guid.NewGuid().ToString("N"));
    private ServiceFactory<Program> _service = null!;
    private WebApplicationFactory<Program> _host = null!;
    private HttpClient _client = null!;

    private string Landing => Path.Combine(_root, "landing");

    public Task InitializeAsync()
    {
        _service = new ServiceFactory<Program>(services);
        _service.Settings["Landing:Root"] = Landing;
        _service.Settings["Generator:RunsRoot"] = Path.Combine(_root, "generator");
        _service.Settings["Generator:DefaultRun"] = "false";
        _service.Settings["Generator:SweepInterval"] = "00:00:01";
        _host = _service;
        _client = _host.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task PostRun_LandsFiles_RecordsAndAnnouncesEach_AndKeepsTheTruth()
    {
        // Arrange: a queue of our own on the event's exchange, as the ingestion service's would be.
        await using var events = await EventQueue.CreateAsync(services.RabbitMq);

        // Act
        using var response = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 2_000, seed = 5, asOf = "2026-01-02T03:04:00Z", partRows = 3_000 });
        var accepted = await response.Content.ReadFromJsonAsync<RunView>(Json);
        var run = await WaitForAsync(accepted!.RunId);

        // Assert: the run, its files on disk, one event per file, and the truth in the schema.
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/generator/runs/{accepted.RunId}", response.Headers.Location?.AbsolutePath);
        Assert.Equal("succeeded", run.Status);
        Assert.NotNull(run.Files);
        Assert.True(run.Files.Count > 7);
        foreach (var file in run.Files)
        {
            Assert.StartsWith(Landing, file.Path, StringComparison.Ordinal);
            Assert.Equal(new FileInfo(file.Path).Length, file.SizeBytes);
            Assert.NotNull(file.PublishedAt);
        }

        Assert.Equal(run.Files.Sum(f => f.Rows), run.Rows);
        var announced = await events.ReceiveAsync(run.Files.Count, Patience);
        Assert.Equal(run.Files.Select(f => (f.FileId, f.Path, f.Sha256, f.SizeBytes)).Order(),
            announced.Select(e => (e.GetProperty("fileId").GetGuid(), e.GetProperty("path").GetString()!, e.GetProperty("sha256").GetString()!, e.GetProperty("sizeBytes").GetInt64())).Order());

        var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(run.ManifestPath!));
        Assert.Equal(Path.Combine(_root, "generator", run.RunId.ToString("N"), "manifest.json"), run.ManifestPath);
        var labels = File.ReadLines(Path.Combine(Path.GetDirectoryName(run.ManifestPath)!, "labels.csv")).Count() - 1;
        var identities = File.ReadLines(Path.Combine(Path.GetDirectoryName(run.ManifestPath)!, "identities.csv")).Count() - 1;
        Assert.Equal(labels, await CountAsync("SELECT count(*) FROM generator.row_labels WHERE run_id = @run", run.RunId));
        Assert.Equal(identities, await CountAsync("SELECT count(*) FROM generator.identities WHERE run_id = @run", run.RunId));
        Assert.Equal(run.DefectCounts!["orphan_reference"], await CountAsync("SELECT count(*) FROM generator.row_labels WHERE run_id = @run AND label = 'orphan_reference'", run.RunId));
        Assert.Equal(manifest.RootElement.GetProperty("defectCounts").GetProperty("exact_duplicate").GetInt64(), run.DefectCounts["exact_duplicate"]);
    }

    [Fact]
    public async Task PostRun_InvalidParameters_Answer400_NamingEachField()
    {
        using var response = await _client.PostAsJsonAsync("/api/generator/runs", new
        {
            patients = -5,
            partRows = 3,
            adtShare = 1.5,
            defects = new { exactDuplicate = 2.0 },
            sources = new[] { "EHR_SYSTEM", "PAPER_CHARTS" },
            updatedPatients = 10,
        });
        using var malformed = await _client.PostAsync("/api/generator/runs", new StringContent("""{"patients":"many"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Json);
        Assert.Equal(["adtShare", "defects.exactDuplicate", "partRows", "patients", "sources", "updatedPatients"], problem!.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM generator.runs WHERE patients < 0 OR run_id = @run", Guid.Empty));
    }

    [Fact]
    public async Task PostRun_ForAnAsOfMinuteAlreadyTaken_Answers409()
    {
        using var first = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 10, asOf = "2026-02-03T04:05:00Z" });
        using var second = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 10, asOf = "2026-02-03T04:05:30Z" });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Runs_AreListedNewestFirst_AndAnUnknownRunIs404()
    {
        using var a = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 10, asOf = "2026-03-01T00:00:00Z" });
        using var b = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 20, asOf = "2026-03-01T00:01:00Z" });
        var first = (await a.Content.ReadFromJsonAsync<RunView>(Json))!;
        var second = (await b.Content.ReadFromJsonAsync<RunView>(Json))!;

        var runs = await _client.GetFromJsonAsync<List<RunView>>("/api/generator/runs", Json);
        using var missing = await _client.GetAsync($"/api/generator/runs/{Guid.NewGuid()}");
        using var badLimit = await _client.GetAsync("/api/generator/runs?limit=0");

        Assert.Equal([second.RunId, first.RunId], runs!.Where(r => r.RunId == first.RunId || r.RunId == second.RunId).Select(r => r.RunId));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
        await WaitForAsync(second.RunId);
    }

    [Fact]
    public async Task IncrementRun_ContinuesTheSeedsPopulation_AndUpdatesExistingPeople()
    {
        using var baseResponse = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 500, seed = 9, asOf = "2026-04-01T10:00:00Z" });
        var baseRun = await WaitForAsync((await baseResponse.Content.ReadFromJsonAsync<RunView>(Json))!.RunId);

        using var response = await _client.PostAsJsonAsync("/api/generator/runs", new { patients = 50, seed = 9, asOf = "2026-04-01T11:00:00Z", increment = true, updatedPatients = 20 });
        var run = await WaitForAsync((await response.Content.ReadFromJsonAsync<RunView>(Json))!.RunId);

        Assert.Equal("succeeded", baseRun.Status);
        Assert.Equal("succeeded", run.Status);
        Assert.Equal("increment", run.Kind);
        Assert.Equal(500, run.Options!.PatientOffset);
        Assert.Equal(20, run.Options.UpdatedPatients);
        Assert.Equal(20, await CountAsync("SELECT count(*) FROM generator.row_labels WHERE run_id = @run AND label IN ('address_move', 'plan_change')", run.RunId));
    }

    [Fact]
    public async Task UnpublishedFiles_AreAnnounced_ByTheOutboxSweep()
    {
        // Arrange: a file committed by a run whose instance died before publishing.
        await using var events = await EventQueue.CreateAsync(services.RabbitMq);
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var runId = Guid.NewGuid();
        var fileId = Guid.NewGuid();
        await using (var insert = dataSource.CreateCommand(
            """
            INSERT INTO generator.runs (run_id, kind, status, patients, seed, as_of, options) VALUES (@run, 'full', 'succeeded', 1, 1, '2020-01-01', '{}');
            INSERT INTO generator.files (file_id, run_id, path, entity, source_system, rows, size_bytes, sha256, created_at)
            VALUES (@file, @run, '/landing/claims/claims_200101_0000_001.csv', 'claims', 'CLAIMS_SYSTEM', 1, 10, repeat('a', 64), now() - interval '5 minutes');
            """))
        {
            insert.Parameters.AddWithValue("run", runId);
            insert.Parameters.AddWithValue("file", fileId);
            await insert.ExecuteNonQueryAsync();
        }

        // Act
        var announced = await events.ReceiveAsync(1, Patience);

        // Assert
        Assert.Equal(fileId, announced.Single().GetProperty("fileId").GetGuid());
        Assert.True(await Eventually.TrueAsync(async () => await CountAsync("SELECT count(*) FROM generator.files WHERE file_id = @run AND published_at IS NOT NULL", fileId) == 1, Patience));
    }

    [Fact]
    public async Task ARunWhoseInstanceDied_IsTakenUpAgain_AndCompleted()
    {
        // Arrange: a run left 'running' by an instance that stopped beating an hour ago, with half its files written.
        var runId = Guid.NewGuid();
        var options = new GenerationOptions { Patients = 300, Seed = 11, AsOf = new DateTimeOffset(2026, 5, 6, 7, 8, 0, TimeSpan.Zero) };
        Directory.CreateDirectory(Path.Combine(Landing, "claims"));
        await File.WriteAllTextAsync(Path.Combine(Landing, "claims", "claims_260506_0708_001.csv.tmp"), "claim_id,pati");
        await File.WriteAllTextAsync(Path.Combine(Landing, "claims", "claims_260506_0708_001.csv"), "claim_id,patient_id\n");
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var insert = dataSource.CreateCommand(
            """
            INSERT INTO generator.runs (run_id, kind, status, patients, seed, as_of, options, started_at, heartbeat_at)
            VALUES (@run, 'full', 'running', 300, 11, @as_of, @options::jsonb, now() - interval '1 hour', now() - interval '1 hour')
            """))
        {
            insert.Parameters.AddWithValue("run", runId);
            insert.Parameters.AddWithValue("as_of", options.AsOf);
            insert.Parameters.AddWithValue("options", JsonSerializer.Serialize(options, Json));
            await insert.ExecuteNonQueryAsync();
        }

        // Act
        var run = await WaitForAsync(runId);

        // Assert: the same files as an undisturbed run would have written.
        var expected = await DataSetGenerator.GenerateAsync(options, Path.Combine(_root, "expected"), Path.Combine(_root, "expected-run"), CancellationToken.None);
        Assert.Equal(expected.Files.Select(f => (Path.GetFileName(f.Path), f.Sha256)).Order(), run.Files!.Select(f => (Path.GetFileName(f.Path), f.Sha256)).Order());
        Assert.Empty(Directory.EnumerateFiles(Landing, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task LandedFilesOlderThanTheRetention_AreRemoved()
    {
        var folder = Path.Combine(Landing, "medical_events");
        Directory.CreateDirectory(folder);
        var old = Path.Combine(folder, "medical_events_250101_0000_001.csv");
        var recent = Path.Combine(folder, "medical_events_250101_0001_001.csv");
        await File.WriteAllTextAsync(old, "event_id\n");
        await File.WriteAllTextAsync(recent, "event_id\n");
        File.SetLastWriteTimeUtc(old, DateTime.UtcNow.AddDays(-31));
        File.SetLastWriteTimeUtc(recent, DateTime.UtcNow.AddDays(-29));

        Assert.True(await Eventually.TrueAsync(() => !File.Exists(old), Patience));
        Assert.True(File.Exists(recent));
    }

    private async Task<RunView> WaitForAsync(Guid runId)
    {
        RunView? run = null;
        var done = await Eventually.TrueAsync(async () =>
        {
            run = await _client.GetFromJsonAsync<RunView>($"/api/generator/runs/{runId}", Json);
            return run!.Status is "succeeded" or "failed";
        }, Patience);
        Assert.True(done, $"run {runId} is still {run?.Status}");
        Assert.True(run!.Status == "succeeded", run.Error);
        return run;
    }

    private async Task<long> CountAsync(string sql, Guid run)
    {
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("run", run);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}

/// <summary>A private queue bound to the LandingFileCreated exchange, as a consuming service's would be.</summary>
internal sealed class EventQueue : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _queue;

    private EventQueue(IConnection connection, IChannel channel, string queue) => (_connection, _channel, _queue) = (connection, channel, queue);

    public static async Task<EventQueue> CreateAsync(string uri)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(uri) }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        const string exchange = "HealthMedallion.Contracts:LandingFileCreated";
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, exchange, string.Empty);
        return new EventQueue(connection, channel, queue);
    }

    /// <summary>The <c>message</c> of each of the next <paramref name="count"/> envelopes.</summary>
    public async Task<List<JsonElement>> ReceiveAsync(int count, TimeSpan patience)
    {
        var messages = new List<JsonElement>();
        var deadline = DateTime.UtcNow + patience;
        while (messages.Count < count && DateTime.UtcNow < deadline)
        {
            if (await _channel.BasicGetAsync(_queue, autoAck: true) is { } message)
            {
                messages.Add(JsonDocument.Parse(message.Body.ToArray()).RootElement.GetProperty("message").Clone());
            }
            else
            {
                await Task.Delay(50);
            }
        }

        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
