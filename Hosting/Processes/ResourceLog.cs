namespace HealthMedallion.Hosting.Processes;

/// <summary>
/// The output of one resource: every line goes to its own log file, optionally to the console prefixed with
/// the resource name, and the last lines are kept to explain a crash.
/// </summary>
public sealed class ResourceLog : IDisposable
{
    private const int TailLength = 40;
    private static readonly Lock ConsoleLock = new();
    private static readonly ConsoleColor[] Palette =
        [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Yellow, ConsoleColor.Magenta, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkGreen, ConsoleColor.DarkYellow];

    private readonly Lock _lock = new();
    private readonly Queue<string> _tail = new();
    private readonly StreamWriter _file;
    private readonly string _prefix;
    private readonly ConsoleColor _color;
    private readonly bool _toConsole;

    public ResourceLog(string name, string logDirectory, bool toConsole)
    {
        Directory.CreateDirectory(logDirectory);
        FilePath = Path.Combine(logDirectory, name + ".log");
        _file = new StreamWriter(new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        _prefix = name;
        _color = Palette[(int)((uint)StringComparer.Ordinal.GetHashCode(name) % Palette.Length)];
        _toConsole = toConsole;
    }

    public string FilePath { get; }

    public void Write(string line)
    {
        lock (_lock)
        {
            _file.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > TailLength)
            {
                _tail.Dequeue();
            }
        }

        if (_toConsole)
        {
            lock (ConsoleLock)
            {
                Console.ForegroundColor = _color;
                Console.Write($"[{_prefix}] ");
                Console.ResetColor();
                Console.WriteLine(line);
            }
        }
    }

    public IReadOnlyList<string> Tail(int lines)
    {
        lock (_lock)
        {
            return _tail.Skip(Math.Max(0, _tail.Count - lines)).ToList();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }
}
