using System.Net;
using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.Hosting.Resources;
using HealthMedallion.Hosting.Testing;
using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace HealthMedallion.EndToEnd.Tests;

/// <summary>
/// A server dying under a running service: the host restarts it on the same port, and the service
/// (here the feature store, which uses Postgres, RabbitMQ and Redis) is ready again without a restart.
/// Private servers, since they are killed.
/// </summary>
public sealed class ServerRecoveryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ServiceRecoversItsConnections_AfterEachServerIsKilledAndRestarted()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddPostgres("postgres").AddDatabase("medallion");
        builder.AddRabbitMQ("messaging");
        builder.AddRedis("redis");
        await using var servers = builder.Build();
        await servers.StartAsync(new CancellationTokenSource(Patience).Token);
        await using var service = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            foreach (var name in new[] { "medallion", "messaging", "redis" })
            {
                host.UseSetting($"ConnectionStrings:{name}", servers.GetConnectionString(name));
            }
        });
        using var client = service.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        foreach (var name in new[] { "postgres", "redis", "messaging" })
        {
            var server = servers.Resource<Resource>(name);
            foreach (var pid in ProcessTree.Collect(server.Status.Pid!.Value))
            {
                ProcessTree.Signal(pid, ProcessTree.SigKill);
            }

            Assert.True(await Eventually.TrueAsync(() => server.Status is { State: ResourceState.Healthy, Restarts: 1 }, Patience), $"{name} was not restarted:\n{servers.Table()}");
            Assert.True(
                await Eventually.TrueAsync(async () => (await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK, Patience, TimeSpan.FromSeconds(1)),
                $"the service did not recover after {name} restarted: {await (await client.GetAsync("/health")).Content.ReadAsStringAsync()}");
        }
    }
}
