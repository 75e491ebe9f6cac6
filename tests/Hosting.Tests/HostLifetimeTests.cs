using System.Diagnostics;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Hosting.Tests;

/// <summary>
/// A real host process (the shared-servers host, which runs Postgres, RabbitMQ with its epmd, and Redis)
/// stopped by a signal, or killed hard and followed by a new start on the same data folder.
/// </summary>
public sealed class HostLifetimeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "healthmedallion-test", "lifetime-" + Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(ProcessTree.SigTerm)]
    [InlineData(ProcessTree.SigInt)]
    public async Task Signal_StopsEveryChildAndGrandchild_AndTheHostExitsCleanly(int signal)
    {
        using var host = await StartHostAsync();
        var tree = ProcessTree.Collect(host.Id);
        Assert.True(tree.Count >= 5, $"expected the host and its servers, saw {tree.Count} processes");

        ProcessTree.Signal(host.Id, signal);

        // Stopping is graceful (RabbitMQ has 20 s, the others 10 s, before they are killed); with the whole suite
        // running on two cores it once took longer than the 90 s the start may take, so the stop gets twice that.
        using var patience = new CancellationTokenSource(2 * Patience);
        await host.WaitForExitAsync(patience.Token);

        Assert.Equal(0, host.ExitCode);
        Assert.All(tree, pid => Assert.False(ProcessTree.IsAlive(pid), $"process {pid} outlived the host"));
    }

    [Fact]
    public async Task StartAfterHardKill_StopsWhatThePreviousRunLeft()
    {
        using var host = await StartHostAsync();
        var orphans = ProcessTree.Collect(host.Id).Where(pid => pid != host.Id).ToList();

        host.Kill(entireProcessTree: false);
        await host.WaitForExitAsync();
        Assert.Contains(orphans, ProcessTree.IsAlive);

        await using var next = TestServers.Build(_dataRoot);
        await TestServers.StartAsync(next, new CancellationTokenSource(Patience).Token);

        Assert.All(orphans, pid => Assert.False(ProcessTree.IsAlive(pid), $"orphan {pid} of the killed host is still running"));
        Assert.All(next.Statuses, s => Assert.Equal(Resources.ResourceState.Healthy, s.State));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task<Process> StartHostAsync()
    {
        var envFile = Path.Combine(Path.GetTempPath(), "healthmedallion-test", Guid.NewGuid().ToString("N") + ".env");
        var dll = Path.Combine(AppContext.BaseDirectory.Replace("Hosting.Tests", "TestServers", StringComparison.Ordinal), "HealthMedallion.TestServers.dll");
        var host = Process.Start(new ProcessStartInfo("dotnet", [dll, envFile, _dataRoot]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        host.OutputDataReceived += (_, _) => { };
        host.ErrorDataReceived += (_, _) => { };
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        if (!await Eventually.TrueAsync(() => File.Exists(envFile) || host.HasExited, Patience) || host.HasExited)
        {
            host.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The servers host did not start ({dll}).");
        }

        return host;
    }
}
