using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.TestSupport;

/// <summary>One log entry as a logger received it.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, Exception? Exception);

/// <summary>
/// A logger provider that keeps what a hosted service logs, so a test can observe what its code really did
/// (a consumer logging the message it received) with a bounded wait.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private readonly SemaphoreSlim _written = new(0);

    public IReadOnlyCollection<CapturedLog> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>The first entry matching <paramref name="match"/>, waiting for it at most <paramref name="timeout"/>.</summary>
    public async Task<CapturedLog> WaitForAsync(Func<CapturedLog, bool> match, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(match);

        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (_entries.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            try
            {
                await _written.WaitAsync(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException(
                    $"No matching log entry within {timeout.TotalSeconds:0.#} s. Logged: "
                    + string.Join(" | ", _entries.TakeLast(20).Select(entry => $"[{entry.Category}] {entry.Message}")));
            }
        }
    }

    public void Dispose() => _written.Dispose();

    private void Add(CapturedLog entry)
    {
        _entries.Enqueue(entry);
        _written.Release();
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            owner.Add(new CapturedLog(category, logLevel, formatter(state, exception), exception));
        }
    }
}
