using HealthMedallion.ServiceDefaults.Migrations;
using HealthMedallion.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Tests.Migrations;

public sealed class SchemaMigrationHostingTests(IsolatedServices services) : IClassFixture<IsolatedServices>
{
    [Fact]
    public async Task HostStart_AppliesEmbeddedMigrations_BeforeAnyHostedServiceStarts()
    {
        // Arrange: a hosted service registered before the migrations looks at the schema when it starts.
        var schema = "h_" + Guid.NewGuid().ToString("N")[..10];
        var builder = CreateBuilder();
        var probe = new LedgerProbe(schema);
        builder.Services.AddSingleton<IHostedService>(services => probe.Bind(services.GetRequiredService<NpgsqlDataSource>()));
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(schema, typeof(SchemaMigrationHostingTests).Assembly);
        using var host = builder.Build();

        // Act
        await host.StartAsync();

        // Assert
        Assert.Equal(2L, probe.LedgerRowsSeenAtStart);
        var applied = await SchemaMigrator.GetAppliedAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), schema);
        Assert.Equal(["001_ledger.sql", "002_first_entry.sql", "010_second_entry.sql"], applied.Select(a => a.FileName));
        await host.StopAsync();
    }

    [Fact]
    public async Task HostStart_FailingMigration_StopsStartUp_NamingTheFile()
    {
        // Arrange
        var schema = "h_" + Guid.NewGuid().ToString("N")[..10];
        var builder = CreateBuilder();
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(schema, [new SchemaMigration("001_bad.sql", "CREATE TABLE nope (id no_such_type);")]);
        using var host = builder.Build();

        // Act
        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => host.StartAsync());

        // Assert
        Assert.Contains("001_bad.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_type", error.Message, StringComparison.Ordinal);
    }

    private HostApplicationBuilder CreateBuilder()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:medallion"] = services.Postgres });
        return builder;
    }

    /// <summary>Counts the ledger rows (written by the fixture migrations) when the host starts it.</summary>
    private sealed class LedgerProbe(string schema) : IHostedService
    {
        private NpgsqlDataSource? _dataSource;

        public long? LedgerRowsSeenAtStart { get; private set; }

        public LedgerProbe Bind(NpgsqlDataSource dataSource)
        {
            _dataSource = dataSource;
            return this;
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var exists = _dataSource!.CreateCommand("SELECT to_regclass(@table) IS NOT NULL");
            exists.Parameters.AddWithValue("table", schema + ".ledger");
            if ((bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
            {
                await using var count = _dataSource.CreateCommand($"SELECT count(*) FROM {schema}.ledger");
                LedgerRowsSeenAtStart = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
