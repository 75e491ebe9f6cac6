using System.Diagnostics;

namespace HealthMedallion.Bench;

/// <summary>Samples this process's working set every 50 ms until disposed: the peak a scenario's measured part reached.</summary>
public sealed class WorkingSetSampler : IAsyncDisposable
{
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peak;

    /// <param name="collectFirst">Collect garbage first, so that <see cref="Before"/> is what the scenario really holds.</param>
    public WorkingSetSampler(bool collectFirst = false)
    {
        if (collectFirst)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        _process.Refresh();
        Before = _process.WorkingSet64;
        _peak = Before;
        _sampling = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _process.Refresh();
                _peak = Math.Max(_peak, _process.WorkingSet64);
                await Task.Delay(50, CancellationToken.None);
            }
        }, CancellationToken.None);
    }

    public long Before { get; }

    public long Peak => _peak;

    public Process Process => _process;

    /// <summary>Stops sampling; <see cref="Peak"/> is final after this.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _process.Dispose();
    }
}
