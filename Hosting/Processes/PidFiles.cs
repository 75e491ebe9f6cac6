using System.Globalization;

namespace HealthMedallion.Hosting.Processes;

/// <summary>
/// One file per running child (pid and kernel start time), so that a host killed hard (SIGKILL) leaves
/// enough behind for the next start to stop its orphans, without ever touching a process that reused the pid.
/// </summary>
public sealed class PidFiles(string directory)
{
    public string Directory { get; } = directory;

    public void Record(string name, int pid)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var startTime = ProcessTree.StartTime(pid) ?? 0;
        File.WriteAllText(PathOf(name), string.Create(CultureInfo.InvariantCulture, $"{pid} {startTime}"));
    }

    public void Remove(string name) => File.Delete(PathOf(name));

    /// <summary>Stops every process recorded by an earlier run that is still alive, and forgets it.</summary>
    public async Task<IReadOnlyList<string>> StopLeftoversAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var stopped = new List<string>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return stopped;
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.pid"))
        {
            if (Parse(File.ReadAllText(file)) is var (pid, startTime)
                && ProcessTree.IsAlive(pid)
                && ProcessTree.StartTime(pid) == startTime)
            {
                await ProcessTree.TerminateAsync(pid, ProcessTree.SigTerm, grace, cancellationToken);
                stopped.Add($"{Path.GetFileNameWithoutExtension(file)} (pid {pid})");
            }

            File.Delete(file);
        }

        return stopped;
    }

    private string PathOf(string name) => Path.Combine(Directory, name + ".pid");

    private static (int Pid, long StartTime)? Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2
            && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var startTime)
            ? (pid, startTime)
            : null;
    }
}
