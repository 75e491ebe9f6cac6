using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.TestSupport;

namespace HealthMedallion.EndToEnd.Tests;

/// <summary>
/// The real thing: the app host run as a process, with its own servers, eight services, gateway and dashboard.
/// One stack start is expensive, so one test walks through start, a service crash and the stop.
/// </summary>
public sealed class AppHostTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(150);

    private static readonly Dictionary<string, string> ServiceApis = new()
    {
        ["generator"] = "/api/generator/status",
        ["ingestion"] = "/api/ingestion/status",
        ["refinement"] = "/api/refinement/status",
        ["gold-modeling"] = "/api/gold/status",
        ["feature-store"] = "/api/features/status",
        ["quality-monitor"] = "/api/quality/status",
    };

    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "healthmedallion-test", "e2e-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _host;

    [Fact]
    public async Task TheWholeStack_StartsHealthy_ThroughTheGateway_RecoversAKilledService_AndStopsWithoutLeftovers()
    {
        var gatewayPort = HealthMedallion.Hosting.Resources.RunContext.ClaimPort(null, "gateway");
        var statePort = HealthMedallion.Hosting.Resources.RunContext.ClaimPort(null, "apphost");
        using var state = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{statePort}/") };
        using var gateway = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}/") };
        _host = StartHost($"--DataRoot={_dataRoot}", $"--Gateway:Port={gatewayPort}", $"--StatePort={statePort}");

        // 1. Every resource healthy, as the host reports it.
        Assert.True(await Eventually.TrueAsync(async () => await StatesAsync(state) is { Count: 12 } states && states.Values.All(s => s.State == "Healthy"), Patience, TimeSpan.FromSeconds(1)),
            "not every resource became healthy:\n" + await DescribeAsync(state));

        // 2. ... and through the gateway: its own health, every service's API, and the dashboard's System page.
        Assert.Equal(HttpStatusCode.OK, (await gateway.GetAsync("health")).StatusCode);
        foreach (var (service, path) in ServiceApis)
        {
            Assert.True(await Eventually.TrueAsync(async () => (await gateway.GetAsync(path.TrimStart('/'))).IsSuccessStatusCode, TimeSpan.FromSeconds(30)), $"{service} is not reachable through the gateway at {path}");
        }

        var system = await gateway.GetStringAsync("system");
        foreach (var name in (await StatesAsync(state)).Keys)
        {
            Assert.Contains(name, system, StringComparison.Ordinal);
        }

        // 3. A killed service is restarted by the host and healthy again, reachable through the gateway.
        var before = (await StatesAsync(state))["ingestion"];
        ProcessTree.Signal(before.Pid!.Value, ProcessTree.SigKill);
        Assert.True(await Eventually.TrueAsync(async () => (await StatesAsync(state))["ingestion"] is { State: "Healthy", Restarts: >= 1 } after && after.Pid != before.Pid, Patience, TimeSpan.FromSeconds(1)),
            "ingestion was not restarted:\n" + await DescribeAsync(state));
        Assert.True(await Eventually.TrueAsync(async () => (await gateway.GetAsync("api/ingestion/status")).IsSuccessStatusCode, TimeSpan.FromSeconds(30)));

        // 4. SIGTERM stops every process of ours and frees the ports.
        var tree = ProcessTree.Collect(_host.Id);
        ProcessTree.Signal(_host.Id, ProcessTree.SigTerm);
        await _host.WaitForExitAsync(new CancellationTokenSource(Patience).Token);
        Assert.Equal(0, _host.ExitCode);
        Assert.All(tree, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} outlived the host"));
        Assert.True(HealthMedallion.Hosting.Resources.RunContext.IsFree(gatewayPort), $"the gateway port {gatewayPort} is still taken");
        Assert.True(HealthMedallion.Hosting.Resources.RunContext.IsFree(statePort));
    }

    public void Dispose()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
        }

        _host?.Dispose();
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private sealed record ResourceState(string Name, string State, int Restarts, int? Pid, string? Message);

    private static async Task<Dictionary<string, ResourceState>> StatesAsync(HttpClient state)
    {
        try
        {
            var states = await state.GetFromJsonAsync<ResourceState[]>("api/resources", JsonSerializerOptions.Web);
            return states!.ToDictionary(s => s.Name);
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    private async Task<string> DescribeAsync(HttpClient state)
    {
        var states = await StatesAsync(state);
        lock (_output)
        {
            var tail = string.Join('\n', _output.ToString().Split('\n').TakeLast(60));
            return string.Join('\n', states.Values.Select(s => $"{s.Name}: {s.State} {s.Message}")) + "\n--- host output (last lines) ---\n" + tail;
        }
    }

    private Process StartHost(params string[] args)
    {
        var root = DistributedApplicationOptions.FindSolutionRoot(AppContext.BaseDirectory)!;
        var dll = Path.Combine(root, "AppHost", "bin", "Debug", "net10.0", "HealthMedallion.AppHost.dll");
        var host = Process.Start(new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root })!;
        host.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        host.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        return host;
    }
}
