using System.Globalization;
using System.Runtime.InteropServices;

namespace HealthMedallion.Hosting.Processes;

/// <summary>
/// Linux process-tree operations read from /proc. .NET can kill a tree, but not signal one
/// gracefully, and a hard-killed host must later find its orphans again by pid and start time.
/// </summary>
public static partial class ProcessTree
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>The process and all its descendants, parents first.</summary>
    public static IReadOnlyList<int> Collect(int rootPid)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (ReadStat(pid) is { } stat)
            {
                if (!children.TryGetValue(stat.ParentPid, out var list))
                {
                    children[stat.ParentPid] = list = [];
                }

                list.Add(pid);
            }
        }

        var result = new List<int>();
        var pending = new Queue<int>();
        if (IsAlive(rootPid))
        {
            pending.Enqueue(rootPid);
        }

        while (pending.TryDequeue(out var pid))
        {
            result.Add(pid);
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>True when the process exists and is not a zombie (a zombie has already finished).</summary>
    public static bool IsAlive(int pid) => ReadStat(pid) is { State: not 'Z' and not 'X' };

    /// <summary>The kernel's start time of the process (clock ticks since boot), which tells a reused pid apart.</summary>
    public static long? StartTime(int pid) => ReadStat(pid)?.StartTime;

    public static void Signal(int pid, int signal) => _ = kill(pid, signal);

    /// <summary>
    /// Sends <paramref name="signal"/> to the whole tree, waits up to <paramref name="grace"/> for every member
    /// to exit, then kills whatever is left. Returns when no member of the tree is alive.
    /// </summary>
    public static async Task TerminateAsync(int rootPid, int signal, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var members = Collect(rootPid);
        foreach (var pid in members)
        {
            Signal(pid, signal);
        }

        var deadline = DateTime.UtcNow + grace;
        while (members.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        // Members may have forked while shutting down: collect again before the hard kill.
        var survivors = members.Where(IsAlive).SelectMany(Collect).Distinct().ToList();
        foreach (var pid in survivors)
        {
            Signal(pid, SigKill);
        }

        while (survivors.Any(IsAlive))
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    private readonly record struct Stat(char State, int ParentPid, long StartTime);

    private static Stat? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
        var afterName = text.AsSpan(text.LastIndexOf(')') + 2);
        Span<Range> fields = stackalloc Range[21];
        var count = afterName.Split(fields, ' ');
        if (count < 20)
        {
            return null;
        }

        return new Stat(
            afterName[fields[0]][0],
            int.Parse(afterName[fields[1]], CultureInfo.InvariantCulture),
            long.Parse(afterName[fields[19]], CultureInfo.InvariantCulture));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
