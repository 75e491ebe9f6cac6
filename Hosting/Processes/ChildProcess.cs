using System.Diagnostics;

namespace HealthMedallion.Hosting.Processes;

/// <summary>What to run for a resource: a program, its arguments, environment and how it wants to be stopped.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The signal that asks the program to shut down cleanly (Postgres wants SIGINT for a fast shutdown).</summary>
    public int StopSignal { get; init; } = ProcessTree.SigTerm;

    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>One running OS process whose output is pumped, line by line, into a <see cref="ResourceLog"/>.</summary>
public sealed class ChildProcess
{
    private readonly Process _process;
    private readonly ProcessSpec _spec;
    private readonly Task _exited;

    private ChildProcess(Process process, ProcessSpec spec, ResourceLog log)
    {
        _process = process;
        _spec = spec;
        _exited = PumpAsync(log);
    }

    public int Pid => _process.Id;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process has exited (and its remaining output has been drained to the log).</summary>
    public Task Exited => _exited;

    public static ChildProcess Start(ProcessSpec spec, ResourceLog log)
    {
        var info = new ProcessStartInfo(spec.FileName)
        {
            WorkingDirectory = spec.WorkingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in spec.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in spec.Environment)
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"'{spec.FileName}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot start '{spec.FileName}': {e.Message}", e);
        }

        // Children get no console input: a closed stdin keeps programs that read it from waiting forever.
        process.StandardInput.Close();
        return new ChildProcess(process, spec, log);
    }

    /// <summary>Asks the whole process tree to stop, and kills what has not stopped after the grace period.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            await ProcessTree.TerminateAsync(_process.Id, _spec.StopSignal, _spec.StopGrace);
        }

        await _exited;
    }

    private async Task PumpAsync(ResourceLog log)
    {
        var pumps = Task.WhenAll(Pump(_process.StandardOutput), Pump(_process.StandardError));
        await _process.WaitForExitAsync();

        // A grandchild may still hold the pipes open: the exit counts, the last output is best effort.
        await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(1)));

        async Task Pump(StreamReader reader)
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                log.Write(line);
            }
        }
    }
}
