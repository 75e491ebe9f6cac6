using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Migrations;

/// <summary>
/// Migrates the schema while the host is starting, before any hosted service starts (the server, the bus):
/// the service neither serves nor consumes before its schema exists, and a failed migration stops start-up.
/// </summary>
internal sealed class SchemaMigrationRunner(
    IServiceProvider services,
    string schema,
    IReadOnlyList<SchemaMigration> migrations) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var migrator = new SchemaMigrator(
            services.GetRequiredService<NpgsqlDataSource>(),
            schema,
            migrations,
            services.GetService<ILogger<SchemaMigrator>>());
        await migrator.MigrateAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
