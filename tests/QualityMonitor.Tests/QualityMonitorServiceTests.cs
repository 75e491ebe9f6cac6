using System.Net;
using System.Net.Http.Json;
using HealthMedallion.Contracts;
using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Migrations;
using HealthMedallion.TestSupport;
using HealthMedallion.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HealthMedallion.QualityMonitor.Tests;

/// <summary>The service hosted in-process on its own database and vhost.</summary>
public sealed class QualityMonitorServiceTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly CapturedLogs _logs = new();
    private ServiceFactory<Program> _service = null!;
    private WebApplicationFactory<Program> _host = null!;

    public Task InitializeAsync()
    {
        _service = new ServiceFactory<Program>(services);
        _host = _service.WithWebHostBuilder(web => web.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));

        // Starting it applies the migrations and starts the bus (the host waits for both).
        _ = _host.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _service.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task Health_IsOk()
    {
        using var client = _host.CreateClient();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Schema_Quality_Exists_WithItsMigrationsRecorded()
    {
        // Arrange
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var embedded = SchemaMigration.FromAssembly(typeof(Extensions).Assembly);

        // Act
        await using var command = dataSource.CreateCommand("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = @schema");
        command.Parameters.AddWithValue("schema", "quality");
        var comment = await command.ExecuteScalarAsync();
        var applied = await SchemaMigrator.GetAppliedAsync(dataSource, "quality");

        // Assert
        Assert.IsType<string>(comment);
        Assert.Equal("quality", Extensions.Schema);
        Assert.Equal(embedded.Select(m => (m.FileName, m.Checksum)), applied.Select(a => (a.FileName, a.Checksum)));
        Assert.Equal("001_quality.sql", applied[0].FileName);
    }

    [Fact]
    public async Task Status_NamesTheService_AndItsAppliedMigrations()
    {
        using var client = _host.CreateClient();

        var status = await client.GetFromJsonAsync<ServiceStatus>(new Uri("/api/quality/status", UriKind.Relative));

        Assert.NotNull(status);
        Assert.Equal("quality-monitor", status.Service);
        Assert.Equal("quality", status.Schema);
        Assert.Contains(status.Migrations, m => m.Version == 1 && m.FileName == "001_quality.sql");
    }

    public static TheoryData<string> ConsumedEvents => ["BronzeBatchIngested", "SilverBatchRefined", "GoldModelUpdated", "FeaturesMaterialized", "QualityAlertRaised"];

    [Theory]
    [MemberData(nameof(ConsumedEvents))]
    public async Task Event_PublishedOnTheBus_ReachesItsConsumer(string eventName)
    {
        // Arrange
        var id = Guid.NewGuid();
        var (create, consumer) = Events[eventName];

        // Act
        await _host.Services.GetRequiredService<IBus>().Publish(create(id));

        // Assert: the consumer logged what it received.
        var received = await _logs.WaitForAsync(
            entry => entry.Category == consumer && entry.Message.Contains(id.ToString(), StringComparison.Ordinal),
            Patience);
        Assert.StartsWith("Received " + eventName, received.Message, StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, (Func<Guid, object> Create, string Consumer)> Events = new()
    {
        ["BronzeBatchIngested"] = (id => new BronzeBatchIngested(id, Entities.Claims, Guid.NewGuid(), 100, 2), typeof(HealthMedallion.QualityMonitor.Monitoring.BronzeBatchIngestedConsumer).FullName!),
        ["SilverBatchRefined"] = (id => new SilverBatchRefined(id, Entities.Patients, 100, 97, 3), typeof(HealthMedallion.QualityMonitor.Monitoring.SilverBatchRefinedConsumer).FullName!),
        ["GoldModelUpdated"] = (id => new GoldModelUpdated([id], ["gold.fact_claims"], 12, DateTimeOffset.UtcNow), typeof(HealthMedallion.QualityMonitor.Monitoring.GoldModelUpdatedConsumer).FullName!),
        ["FeaturesMaterialized"] = (id => new FeaturesMaterialized($"patient_risk_{id}", 12, DateTimeOffset.UtcNow), typeof(HealthMedallion.QualityMonitor.Monitoring.FeaturesMaterializedConsumer).FullName!),
        ["QualityAlertRaised"] = (id => new QualityAlertRaised(id, AlertSeverity.Warning, "claim_amount_positive", "silver", Entities.Claims, "3 claims with a negative amount"), typeof(HealthMedallion.QualityMonitor.Monitoring.QualityAlertRaisedConsumer).FullName!),
    };
}
