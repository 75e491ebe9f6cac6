using HealthMedallion.Hosting.Resources;

namespace HealthMedallion.Hosting.Processes;

/// <summary>
/// Keeps one process running: an unexpected exit is reported and followed by a restart after a growing
/// back-off; several exits in a short window are a crash loop, reported with the last log lines, and the
/// process keeps being retried at the longest back-off while everything else runs on.
/// </summary>
public sealed class SupervisedProcess(string name, Func<ProcessSpec> spec, RunContext context, Action<ResourceState, string?> report) : IDisposable
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15)];
    private const int CrashLoopThreshold = 4;
    private static readonly TimeSpan CrashLoopWindow = TimeSpan.FromMinutes(1);

    private readonly ResourceLog _log = context.CreateLog(name);
    private readonly List<DateTime> _recentCrashes = [];
    private readonly CancellationTokenSource _stopping = new();
    private ChildProcess? _current;
    private Task _watch = Task.CompletedTask;

    public string Name { get; } = name;

    public int? Pid => _current?.Pid;

    public int Restarts { get; private set; }

    public ResourceLog Log => _log;

    /// <summary>Raised after each (re)start, with the new process.</summary>
    public event Action<ChildProcess>? Started;

    public void Start()
    {
        Launch();
        _watch = WatchAsync();
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        if (_current is { } process)
        {
            await process.StopAsync();
            context.PidFiles.Remove(Name);
        }

        await _watch;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _log.Dispose();
    }

    private string LastLines(int count) =>
        string.Concat(_log.Tail(count).Select(line => Environment.NewLine + "    " + line));

    private void Launch()
    {
        _current = ChildProcess.Start(spec(), _log);
        context.PidFiles.Record(Name, _current.Pid);
        Started?.Invoke(_current);
    }

    private async Task WatchAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var process = _current!;
            await process.Exited;
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            var now = DateTime.UtcNow;
            _recentCrashes.RemoveAll(t => now - t > CrashLoopWindow);
            _recentCrashes.Add(now);
            var delay = Backoff[Math.Min(_recentCrashes.Count - 1, Backoff.Length - 1)];
            var exit = $"{Name} exited with code {process.ExitCode}";
            if (_recentCrashes.Count >= CrashLoopThreshold)
            {
                report(ResourceState.CrashLoop, $"{exit}; {_recentCrashes.Count} crashes in {CrashLoopWindow.TotalSeconds:0} s, retrying every {delay.TotalSeconds:0} s. Last lines:{LastLines(15)}");
            }
            else
            {
                report(ResourceState.Restarting, $"{exit}; restarting in {delay.TotalSeconds:0} s. Last lines:{LastLines(5)}");
            }

            try
            {
                await Task.Delay(delay, _stopping.Token);
                Restarts++;
                Launch();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (InvalidOperationException e)
            {
                report(ResourceState.Failed, e.Message);
                return;
            }
        }
    }
}
