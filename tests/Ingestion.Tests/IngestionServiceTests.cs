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

namespace HealthMedallion.Ingestion.Tests;

/// <summary>The service hosted in-process on its own database and vhost.</summary>
public sealed class IngestionServiceTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
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
    public async Task Schema_Bronze_Exists_WithItsMigrationsRecorded()
    {
        // Arrange
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var embedded = SchemaMigration.FromAssembly(typeof(Extensions).Assembly);

        // Act
        await using var command = dataSource.CreateCommand("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = @schema");
        command.Parameters.AddWithValue("schema", "bronze");
        var comment = await command.ExecuteScalarAsync();
        var applied = await SchemaMigrator.GetAppliedAsync(dataSource, "bronze");

        // Assert
        Assert.IsType<string>(comment);
        Assert.Equal("bronze", Extensions.Schema);
        Assert.Equal(embedded.Select(m => (m.FileName, m.Checksum)), applied.Select(a => (a.FileName, a.Checksum)));
        Assert.Equal("001_bronze.sql", applied[0].FileName);
    }

    [Fact]
    public async Task Status_NamesTheService_AndItsAppliedMigrations()
    {
        using var client = _host.CreateClient();

        var status = await client.GetFromJsonAsync<ServiceStatus>(new Uri("/api/ingestion/status", UriKind.Relative));

        Assert.NotNull(status);
        Assert.Equal("ingestion", status.Service);
        Assert.Equal("bronze", status.Schema);
        Assert.Contains(status.Migrations, m => m.Version == 1 && m.FileName == "001_bronze.sql");
    }

    [Fact]
    public async Task LandingFileCreated_PublishedOnTheBus_ReachesItsConsumer()
    {
        // Arrange
        var id = Guid.NewGuid();

        // Act
        await _host.Services.GetRequiredService<IBus>().Publish(new LandingFileCreated(id, $"landing/patients/{id}.csv", Entities.Patients, "EHR_SYSTEM", 1234, new string('a', 64)));

        // Assert: the consumer logged what it received.
        var received = await _logs.WaitForAsync(
            entry => entry.Category == typeof(HealthMedallion.Ingestion.Landing.LandingFileCreatedConsumer).FullName && entry.Message.Contains(id.ToString(), StringComparison.Ordinal),
            Patience);
        Assert.StartsWith("Received LandingFileCreated", received.Message, StringComparison.Ordinal);
    }
}
