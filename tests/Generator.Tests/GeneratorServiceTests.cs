using System.Net;
using System.Net.Http.Json;
using System.Text;
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
using RabbitMQ.Client;

namespace HealthMedallion.Generator.Tests;

/// <summary>The service hosted in-process on its own database and vhost.</summary>
public sealed class GeneratorServiceTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
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
    public async Task Schema_Generator_Exists_WithItsMigrationsRecorded()
    {
        // Arrange
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var embedded = SchemaMigration.FromAssembly(typeof(Extensions).Assembly);

        // Act
        await using var command = dataSource.CreateCommand("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = @schema");
        command.Parameters.AddWithValue("schema", "generator");
        var comment = await command.ExecuteScalarAsync();
        var applied = await SchemaMigrator.GetAppliedAsync(dataSource, "generator");

        // Assert
        Assert.IsType<string>(comment);
        Assert.Equal("generator", Extensions.Schema);
        Assert.Equal(embedded.Select(m => (m.FileName, m.Checksum)), applied.Select(a => (a.FileName, a.Checksum)));
        Assert.Equal("001_generator.sql", applied[0].FileName);
    }

    [Fact]
    public async Task Status_NamesTheService_AndItsAppliedMigrations()
    {
        using var client = _host.CreateClient();

        var status = await client.GetFromJsonAsync<ServiceStatus>(new Uri("/api/generator/status", UriKind.Relative));

        Assert.NotNull(status);
        Assert.Equal("generator", status.Service);
        Assert.Equal("generator", status.Schema);
        Assert.Contains(status.Migrations, m => m.Version == 1 && m.FileName == "001_generator.sql");
    }

    [Fact]
    public async Task LandingFileCreated_PublishedByTheGenerator_ReachesSubscribers()
    {
        // Arrange: a queue of our own bound to the event's exchange, as a consuming service's would be.
        var id = Guid.NewGuid();
        var connection = await new ConnectionFactory { Uri = new Uri(services.RabbitMq) }.CreateConnectionAsync();
        await using (connection)
        {
            await using var channel = await connection.CreateChannelAsync();
            const string exchange = "HealthMedallion.Contracts:LandingFileCreated";
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, exchange, string.Empty);

            // Act
            await _host.Services.GetRequiredService<IBus>().Publish(
                new LandingFileCreated(id, $"landing/claims/{id}.csv", Entities.Claims, "CLAIMS_SYSTEM", 42, new string('b', 64)));

            // Assert
            var deadline = DateTime.UtcNow + Patience;
            BasicGetResult? message;
            while ((message = await channel.BasicGetAsync(queue, autoAck: true)) is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "The published event did not arrive.");
                await Task.Delay(50);
            }

            Assert.Contains(id.ToString(), Encoding.UTF8.GetString(message.Body.Span), StringComparison.Ordinal);
        }
    }
}
