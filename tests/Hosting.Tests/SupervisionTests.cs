using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.Hosting.Resources;
using HealthMedallion.Hosting.Servers;
using HealthMedallion.Hosting.Testing;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Hosting.Tests;

public sealed class SupervisionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("redis")]
    [InlineData("postgres")]
    public async Task ServerKilled_IsRestartedOnItsPort_AndHealthyAgain(string kind)
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        if (kind == "redis")
        {
            builder.AddRedis("server");
        }
        else
        {
            builder.AddPostgres("server");
        }

        await using var app = builder.Build();
        await app.StartAsync();
        var server = app.Resource<Resource>("server");
        var connectionString = app.GetConnectionString("server");
        var firstPid = server.Status.Pid!.Value;

        ProcessTree.Signal(firstPid, ProcessTree.SigKill);

        Assert.True(await Eventually.TrueAsync(() => server.Status is { State: ResourceState.Healthy, Restarts: 1 }, Patience), app.Table());
        Assert.NotEqual(firstPid, server.Status.Pid);
        Assert.Equal(connectionString, app.GetConnectionString("server"));
    }

    [Fact]
    public async Task ProcessThatKeepsCrashing_IsReportedAsCrashLoopWithItsLastLines_WhileTheOthersRun()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddExecutable("crasher", "sh", "-c", "echo 'cannot open settings.json'; exit 3");
        builder.AddExecutable("steady", "sleep", "600");
        await using var app = builder.Build();

        await app.StartAsync(new CancellationTokenSource(Patience).Token);

        // Between two crashes the process briefly runs (and may be seen healthy): wait for the fourth crash.
        Assert.True(await Eventually.TrueAsync(() => app.Resource<ExecutableResource>("crasher").Status.State == ResourceState.CrashLoop, Patience), app.Table());
        var crasher = app.Resource<ExecutableResource>("crasher").Status;
        Assert.Contains("exited with code 3", crasher.Message, StringComparison.Ordinal);
        Assert.Contains("cannot open settings.json", crasher.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceState.Healthy, app.Resource<ExecutableResource>("steady").Status.State);
    }

    [Fact]
    public async Task Stop_LeavesNoProcessAndNoPortBehind_GrandchildrenIncluded()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddRedis("redis");
        builder.AddExecutable("forker", "sh", "-c", "sleep 600 & sleep 600 & wait");
        var app = builder.Build();
        await app.StartAsync();
        var forker = app.Resource<ExecutableResource>("forker");
        Assert.True(await Eventually.TrueAsync(() => ProcessTree.Collect(forker.Status.Pid!.Value).Count == 3, Patience));
        var processes = app.Resources.Where(r => r.Status.Pid is not null).SelectMany(r => ProcessTree.Collect(r.Status.Pid!.Value)).ToList();
        var redisPort = int.Parse(app.GetConnectionString("redis").Split(',')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

        await app.DisposeAsync();

        Assert.True(processes.Count >= 4);
        Assert.All(processes, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} is still running"));
        Assert.True(RunContext.IsFree(redisPort));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(app.DataRoot, "pids")));
    }

    [Fact]
    public async Task ExplicitPortAlreadyInUse_FailsNamingThePort_AndDependentsWait()
    {
        using var squatter = new TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var builder = DistributedApplicationTestingBuilder.Create();
        var redis = builder.AddRedis("redis", port);
        builder.AddExecutable("consumer", "sleep", "600").WaitFor(redis);
        await using var app = builder.Build();

        await app.StartAsync(new CancellationTokenSource(Patience).Token);

        var status = app.Resource<RedisResource>("redis").Status;
        Assert.Equal(ResourceState.Failed, status.State);
        Assert.Contains($"Port {port}", status.Message, StringComparison.Ordinal);
        Assert.Contains("'redis'", status.Message, StringComparison.Ordinal);
        Assert.Equal(ResourceState.Waiting, app.Resource<ExecutableResource>("consumer").Status.State);
        Assert.Null(app.Resource<ExecutableResource>("consumer").Status.Pid);
        var error = Assert.Throws<InvalidOperationException>(() => app.GetConnectionString("redis"));
        Assert.Contains("'redis' did not start", error.Message, StringComparison.Ordinal);
        Assert.Contains($"Port {port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfiguredConnectionString_UsesThatServer_AndStartsNothing()
    {
        var servers = await TestServers.GetAsync();
        var builder = DistributedApplicationTestingBuilder.Create(null, $"--ConnectionStrings:redis={servers.Redis}", $"--ConnectionStrings:postgres={servers.Postgres}");
        builder.AddRedis("redis");
        builder.AddPostgres("postgres");
        await using var app = builder.Build();

        await app.StartAsync(new CancellationTokenSource(Patience).Token);

        Assert.All(app.Statuses, s => Assert.Equal(ResourceState.Healthy, s.State));
        Assert.All(app.Statuses, s => Assert.Null(s.Pid));
        Assert.Equal(servers.Redis, app.GetConnectionString("redis"));
        Assert.False(Directory.Exists(Path.Combine(app.DataRoot, "pids")) && Directory.EnumerateFiles(Path.Combine(app.DataRoot, "pids")).Any());
    }

    [Fact]
    public void MissingServerProgram_IsOneMessageNamingTheDebianPackage()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ServerBinaries.Find("hm-no-such-server", "Frobnicator", "frobnicator-server"));

        Assert.Contains("apt-get install -y frobnicator-server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StateEndpoint_ServesEveryResourceAsJson()
    {
        var builder = DistributedApplicationTestingBuilder.Create();
        builder.AddExecutable("worker", "sleep", "600");
        builder.AddExecutable("broken", "sh", "-c", "exit 1");
        await using var app = builder.Build();
        await app.StartAsync(new CancellationTokenSource(Patience).Token);
        Assert.True(await Eventually.TrueAsync(() => app.Resource<ExecutableResource>("broken").Status.State == ResourceState.CrashLoop, Patience));
        using var http = new HttpClient { BaseAddress = app.StateEndpoint };

        var resources = await http.GetFromJsonAsync<JsonElement[]>("api/resources");

        Assert.NotNull(resources);
        var byName = resources.ToDictionary(r => r.GetProperty("name").GetString()!);
        Assert.Equal("Healthy", byName["worker"].GetProperty("state").GetString());
        Assert.Equal("executable", byName["worker"].GetProperty("kind").GetString());
        Assert.Equal("CrashLoop", byName["broken"].GetProperty("state").GetString());
        Assert.True(byName["broken"].GetProperty("restarts").GetInt32() >= 3);
    }
}
