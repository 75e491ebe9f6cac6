using System.Net;
using System.Net.Http.Json;
using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Migrations;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Xunit;

namespace HealthMedallion.TestSupport;

/// <summary>A service's name, the one schema it owns, and the prefix of its API.</summary>
public sealed record ServiceContract(string Service, string Schema, string ApiPrefix);

/// <summary>
/// What every service promises, checked the same way for each: it is ready when its dependencies are, its
/// schema exists with every embedded migration recorded, and its status API names it. A derived class adds
/// its own consumers' tests with <see cref="AssertReachesConsumerAsync{TConsumer}"/>. The service is hosted
/// in-process on the class's own database and vhost, its logs captured.
/// </summary>
public abstract class ServiceContractTests<TProgram>(IsolatedServices services, ServiceContract contract)
    : IClassFixture<IsolatedServices>, IAsyncLifetime where TProgram : class
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private ServiceFactory<TProgram>? _factory;

    protected IsolatedServices Isolated { get; } = services;

    protected CapturedLogs Logs { get; } = new();

    protected WebApplicationFactory<TProgram> Host { get; private set; } = null!;

    public Task InitializeAsync()
    {
        _factory = new ServiceFactory<TProgram>(Isolated);
        Configure(_factory);
        Host = _factory.WithWebHostBuilder(web => web.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(Logs)));

        // Starting it applies the migrations and starts the bus (the host waits for both).
        _ = Host.Server;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        Logs.Dispose();
    }

    /// <summary>Settings a service needs beyond its connection strings (a landing folder, say).</summary>
    protected virtual void Configure(ServiceFactory<TProgram> factory)
    {
    }

    [Fact]
    public async Task Health_IsOk_WhenItsServersAnswer()
    {
        using var client = Host.CreateClient();

        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Schema_Exists_WithEveryEmbeddedMigrationRecorded()
    {
        // Arrange
        var dataSource = Host.Services.GetRequiredService<NpgsqlDataSource>();
        var embedded = SchemaMigration.FromAssembly(typeof(TProgram).Assembly);

        // Act
        await using var command = dataSource.CreateCommand("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = @schema");
        command.Parameters.AddWithValue("schema", contract.Schema);
        var comment = await command.ExecuteScalarAsync();
        var applied = await SchemaMigrator.GetAppliedAsync(dataSource, contract.Schema);

        // Assert: the schema says what lives in it, and every file is applied with its checksum.
        Assert.IsType<string>(comment);
        Assert.NotEmpty(embedded);
        Assert.Equal(embedded.Select(m => (m.FileName, m.Checksum)), applied.Select(a => (a.FileName, a.Checksum)));
        Assert.Equal($"001_{contract.Schema}.sql", applied[0].FileName);
    }

    [Fact]
    public async Task Status_NamesTheService_AndItsAppliedMigrations()
    {
        using var client = Host.CreateClient();

        var status = await client.GetFromJsonAsync<ServiceStatus>(new Uri($"{contract.ApiPrefix}/status", UriKind.Relative));

        Assert.NotNull(status);
        Assert.Equal(contract.Service, status.Service);
        Assert.Equal(contract.Schema, status.Schema);
        Assert.Contains(status.Migrations, m => m.Version == 1 && m.FileName == $"001_{contract.Schema}.sql");
    }

    /// <summary>
    /// Publishes <paramref name="message"/> on the class's vhost and waits for <typeparamref name="TConsumer"/>
    /// to log that it received it (its log line names <paramref name="id"/>).
    /// </summary>
    protected async Task AssertReachesConsumerAsync<TConsumer>(object message, Guid id)
    {
        ArgumentNullException.ThrowIfNull(message);

        await Host.Services.GetRequiredService<IBus>().Publish(message);

        var received = await Logs.WaitForAsync(
            entry => entry.Category == typeof(TConsumer).FullName && entry.Message.Contains(id.ToString(), StringComparison.Ordinal),
            Patience);
        Assert.StartsWith("Received " + message.GetType().Name, received.Message, StringComparison.Ordinal);
    }
}
