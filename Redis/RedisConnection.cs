using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using HealthMedallion.Redis.Protocol;

namespace HealthMedallion.Redis;

/// <summary>
/// One multiplexed connection to one Redis server, meant to be shared (a singleton per endpoint): concurrent callers'
/// commands are pipelined on the same socket and their replies matched in order.
/// <list type="bullet">
/// <item>Connects lazily on the first command, sending AUTH and SELECT from <see cref="RedisOptions"/>.</item>
/// <item>If the connection drops, commands in flight fail with <see cref="RedisConnectionException"/> (they may or may not
/// have run) and the next command reconnects; after failed attempts, reconnecting backs off (50 ms doubling to 1 s).</item>
/// <item>Every command is bounded by <see cref="RedisOptions.CommandTimeout"/>, connection wait included:
/// <see cref="RedisConnectionException"/> if no connection came up in time, <see cref="RedisTimeoutException"/> if the
/// reply did not. Cancellation throws <see cref="OperationCanceledException"/>. Either way the late reply is read and
/// dropped, so later commands still get their own replies. A server that has sent nothing for twice the command
/// timeout while owing replies is taken as gone (hung, or unreachable without the socket noticing): the connection
/// is dropped and the next command reconnects.</item>
/// <item>Error replies throw <see cref="RedisServerException"/> with the server's message.</item>
/// </list>
/// Blocking commands (BLPOP, ...) sent through <see cref="ExecuteAsync(string, object[])"/> hold up every caller
/// behind them: give them a connection of their own.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private const int FirstBackOffMilliseconds = 50;
    private const int MaxBackOffMilliseconds = 1000;

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly ConcurrentQueue<PendingReply> _deadlines = new(); // commands in the order they started
    private readonly Timer? _sweeper; // null when commands never time out
    private RedisSession? _session;
    private Task<RedisSession>? _connecting;
    private int _sweeping;
    private bool _disposed;
    private int _failedAttempts;
    private Exception? _lastConnectError;

    /// <summary>Connects lazily, on the first command.</summary>
    public RedisConnection(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Host, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Database, nameof(options));
        if (options.Port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Port, "The port must be from 1 to 65535.");
        }

        if (!IsUsableTimeout(options.ConnectTimeout) || !IsUsableTimeout(options.CommandTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Timeouts must be positive (or Timeout.InfiniteTimeSpan).");
        }

        Options = options;
        if (options.CommandTimeout != Timeout.InfiniteTimeSpan)
        {
            // Every tenth of the timeout (10-100 ms): a command times out at most that late.
            var period = TimeSpan.FromMilliseconds(Math.Clamp(options.CommandTimeout.TotalMilliseconds / 10, 10, 100));
            _sweeper = new Timer(static state => ((RedisConnection)state!).SweepDeadlines(), this, period, period);
        }
    }

    /// <inheritdoc cref="RedisOptions.Parse"/>
    public RedisConnection(string connectionString)
        : this(RedisOptions.Parse(connectionString))
    {
    }

    public RedisOptions Options { get; }

    /// <summary>Whether a connection is currently up (a command may still find it broken).</summary>
    public bool IsConnected => Volatile.Read(ref _session) is { IsAlive: true };

    /// <summary>Connects now instead of on the first command, e.g. to fail fast at start-up.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        _ = await GetSessionAsync(Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>PING; returns the round-trip time, not counting connecting.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        await SendAsync(Commands.Ping(), cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    // Strings

    /// <summary>GET as UTF-8 text; null if the key does not exist.</summary>
    public Task<string?> StringGetAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Get(key), cancellationToken);

    /// <summary>GET as raw bytes; null if the key does not exist.</summary>
    public Task<byte[]?> StringGetBytesAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.GetBytes(key), cancellationToken);

    /// <summary>MGET: one value per key, in order; null where a key does not exist.</summary>
    public Task<string?[]> StringGetAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.MGet(keys), cancellationToken);

    /// <summary>MGET as raw bytes.</summary>
    public Task<byte[]?[]> StringGetBytesAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.MGetBytes(keys), cancellationToken);

    /// <summary>SET, with EX (whole seconds) or PX (otherwise) when <paramref name="expiry"/> is given; always true.</summary>
    public Task<bool> StringSetAsync(string key, string value, TimeSpan? expiry = null, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Set(key, value, expiry, SetCondition.Always), cancellationToken);

    /// <summary>SET with NX/XX; false when the condition kept the value from being written.</summary>
    public Task<bool> StringSetAsync(
        string key, string value, TimeSpan? expiry, SetCondition condition, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Set(key, value, expiry, condition), cancellationToken);

    /// <summary>SET of raw bytes (binary safe).</summary>
    public Task<bool> StringSetAsync(
        string key, ReadOnlyMemory<byte> value, TimeSpan? expiry = null, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Set(key, value, expiry, SetCondition.Always), cancellationToken);

    /// <summary>SET of raw bytes with NX/XX; false when the condition kept the value from being written.</summary>
    public Task<bool> StringSetAsync(
        string key, ReadOnlyMemory<byte> value, TimeSpan? expiry, SetCondition condition, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Set(key, value, expiry, condition), cancellationToken);

    // Keys

    /// <summary>DEL of one key; true if it existed.</summary>
    public Task<bool> KeyDeleteAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Del(key), cancellationToken);

    /// <summary>DEL; returns how many of the keys existed.</summary>
    public Task<long> KeyDeleteAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Del(keys), cancellationToken);

    public Task<bool> KeyExistsAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Exists(key), cancellationToken);

    /// <summary>EXPIRE (whole seconds) or PEXPIRE; false if the key does not exist.</summary>
    public Task<bool> KeyExpireAsync(string key, TimeSpan expiry, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Expire(key, expiry), cancellationToken);

    /// <summary>PTTL; null if the key does not exist or has no expiry.</summary>
    public Task<TimeSpan?> KeyTimeToLiveAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.TimeToLive(key), cancellationToken);

    /// <summary>SCAN with MATCH, page by page. Redis may return a key more than once (when the keyspace is resized
    /// during the scan) and keys added or removed meanwhile may or may not appear; every key present throughout is returned.</summary>
    public async IAsyncEnumerable<string> ScanKeysAsync(
        string pattern = "*", int pageSize = 250, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pageSize);
        var cursor = "0";
        do
        {
            var page = await SendAsync(Commands.Scan(cursor, pattern, pageSize), cancellationToken).ConfigureAwait(false);
            foreach (var key in page.Keys)
            {
                yield return key;
            }

            cursor = page.Cursor;
        }
        while (cursor != "0");
    }

    // Hashes

    /// <summary>HSET of one field; true if the field is new, false if it was overwritten.</summary>
    public Task<bool> HashSetAsync(string key, string field, string value, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HSet(key, field, value), cancellationToken);

    /// <summary>HSET of one field with a raw-bytes value.</summary>
    public Task<bool> HashSetAsync(string key, string field, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HSet(key, field, value), cancellationToken);

    /// <summary>HSET of many fields in one command; returns how many fields are new.</summary>
    public Task<long> HashSetAsync(
        string key, IReadOnlyCollection<KeyValuePair<string, string>> fields, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HSet(key, fields), cancellationToken);

    /// <summary>HGET; null if the key or field does not exist.</summary>
    public Task<string?> HashGetAsync(string key, string field, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HGet(key, field), cancellationToken);

    /// <summary>HMGET: one value per field, in order; null where a field does not exist.</summary>
    public Task<string?[]> HashGetAsync(string key, IReadOnlyCollection<string> fields, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HMGet(key, fields), cancellationToken);

    /// <summary>HMGET as raw bytes.</summary>
    public Task<byte[]?[]> HashGetBytesAsync(string key, IReadOnlyCollection<string> fields, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HMGetBytes(key, fields), cancellationToken);

    /// <summary>HGETALL; empty if the key does not exist.</summary>
    public Task<Dictionary<string, string>> HashGetAllAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HGetAll(key), cancellationToken);

    /// <summary>HGETALL with raw-bytes values.</summary>
    public Task<Dictionary<string, byte[]>> HashGetAllBytesAsync(string key, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.HGetAllBytes(key), cancellationToken);

    // Scripts

    /// <summary>EVAL. Arguments may be strings, byte arrays or numbers.</summary>
    public Task<RedisResult> ScriptEvaluateAsync(
        string script,
        IReadOnlyCollection<string>? keys = null,
        IReadOnlyCollection<object>? args = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Eval("EVAL", script, keys, args), cancellationToken);

    /// <summary>EVALSHA of a script loaded with <see cref="ScriptLoadAsync"/>; a server that does not have it
    /// (e.g. restarted since) throws <see cref="RedisServerException"/> with <c>ErrorCode</c> NOSCRIPT.</summary>
    public Task<RedisResult> ScriptEvaluateShaAsync(
        string sha1,
        IReadOnlyCollection<string>? keys = null,
        IReadOnlyCollection<object>? args = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Eval("EVALSHA", sha1, keys, args), cancellationToken);

    /// <summary>SCRIPT LOAD; returns the script's SHA1 for <see cref="ScriptEvaluateShaAsync"/>.</summary>
    public Task<string> ScriptLoadAsync(string script, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.ScriptLoad(script), cancellationToken);

    // Server

    /// <summary>INFO, as the server's text (<c>field:value</c> lines under <c># Section</c> headers).</summary>
    public Task<string> InfoAsync(string? section = null, CancellationToken cancellationToken = default) =>
        SendAsync(Commands.Info(section), cancellationToken);

    /// <summary>Any command, for what has no method yet. Commands that change the shared connection's state
    /// (MULTI, SELECT, SUBSCRIBE, ...) throw <see cref="ArgumentException"/>.</summary>
    public Task<RedisResult> ExecuteAsync(string command, params object[] args) =>
        ExecuteAsync(command, args, CancellationToken.None);

    /// <inheritdoc cref="ExecuteAsync(string, object[])"/>
    public Task<RedisResult> ExecuteAsync(string command, IReadOnlyCollection<object> args, CancellationToken cancellationToken) =>
        SendAsync(Commands.Any(command, args), cancellationToken);

    /// <summary>A MULTI/EXEC transaction: queue commands on it, then <see cref="RedisTransaction.ExecuteAsync"/>.</summary>
    public RedisTransaction CreateTransaction() => new(this);

    /// <summary>Closes the connection; commands still waiting fail with <see cref="RedisConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        RedisSession? session;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            session = _session;
            _session = null;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        if (session is not null)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal Task<T> SendAsync<T>(RedisCommand<T> command, CancellationToken cancellationToken) =>
        SendAsync(command, command.Task, cancellationToken);

    internal async Task<T> SendAsync<T>(PendingReply item, Task<T> completion, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        WatchDeadline(item, started);
        try
        {
            cancellationToken.ThrowIfCancellationRequested(); // a command cancelled before it is queued is never sent
            RedisSession session;
            do
            {
                session = await GetSessionAsync(started, cancellationToken).ConfigureAwait(false);
            }
            while (!session.TryEnqueue(item)); // that session just ended; nothing was sent, so the next one is safe
        }
        catch (Exception ex)
        {
            // Never queued: release its buffer and complete a transaction's queued tasks; this caller gets ex itself.
            item.Fail(ex);
            _ = completion.Exception;
            throw;
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await completion.ConfigureAwait(false); // timeouts come from the sweep
        }

        try
        {
            return await completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            item.Abandon();
            throw;
        }
    }

    /// <summary>Puts the command under the timeout sweep. One timer for all commands instead of one per command:
    /// a timer each cost more than the rest of sending a pipelined command.</summary>
    private void WatchDeadline(PendingReply item, long started)
    {
        if (Options.CommandTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        item.Deadline = started + (long)(Options.CommandTimeout.TotalSeconds * Stopwatch.Frequency);
        _deadlines.Enqueue(item);
    }

    /// <summary>Times out the commands whose deadline passed. Deadlines are queued in the order commands started, all with
    /// the same timeout, so the sweep stops at the first command still within its time.</summary>
    private void SweepDeadlines()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return; // the previous sweep is still running
        }

        try
        {
            var now = Stopwatch.GetTimestamp();
            var timedOut = false;
            while (_deadlines.TryPeek(out var item))
            {
                if (!item.IsAbandoned && item.Deadline > now)
                {
                    break;
                }

                _deadlines.TryDequeue(out _);
                if (!item.IsAbandoned)
                {
                    timedOut = true;
                    item.Abandon(new RedisTimeoutException(
                        $"{item.Name} got no reply from Redis at {Options.EndPoint} within {Options.CommandTimeout.TotalMilliseconds:0} ms; "
                        + "it may still run on the server."));
                }
            }

            if (timedOut)
            {
                Volatile.Read(ref _session)?.OnCommandTimeout(SilenceLimit);
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private ValueTask<RedisSession> GetSessionAsync(long started, CancellationToken cancellationToken)
    {
        var session = Volatile.Read(ref _session);
        return session is { IsAlive: true } ? new(session) : new(WaitForSessionAsync(started, cancellationToken));
    }

    private async Task<RedisSession> WaitForSessionAsync(long started, CancellationToken cancellationToken)
    {
        Task<RedisSession> attempt;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is { IsAlive: true } live)
            {
                return live;
            }

            // Callers arriving while an attempt runs share it; a finished attempt (failed, or whose session died) is replaced.
            if (_connecting is null || _connecting.IsCompleted)
            {
                _connecting = Task.Run(ConnectWithBackOffAsync);
                _connecting.ContinueWith(
                    static attempt => _ = attempt.Exception, // observed here, as every caller may have stopped waiting
                    CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            attempt = _connecting;
        }

        try
        {
            return await attempt.WaitAsync(Remaining(started), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _disposing.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(RedisConnection));
        }
        catch (TimeoutException ex)
        {
            var last = Volatile.Read(ref _lastConnectError) is { } error ? $"; last error: {error.Message}" : string.Empty;
            throw new RedisConnectionException(
                $"No connection to Redis at {Options.EndPoint} within {Options.CommandTimeout.TotalMilliseconds:0} ms{last}", ex);
        }
    }

    private async Task<RedisSession> ConnectWithBackOffAsync()
    {
        // Attempts never overlap, so the counter needs no lock.
        if (_failedAttempts > 0)
        {
            var delay = Math.Min(MaxBackOffMilliseconds, FirstBackOffMilliseconds << Math.Min(_failedAttempts - 1, 10));
            await Task.Delay(delay, _disposing.Token).ConfigureAwait(false);
        }

        RedisSession session;
        try
        {
            session = await RedisSession.ConnectAsync(Options, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _failedAttempts++;
            Volatile.Write(ref _lastConnectError, ex);
            throw;
        }

        _failedAttempts = 0;
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _session = session;
            }
        }

        if (disposed)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw new ObjectDisposedException(nameof(RedisConnection));
        }

        return session;
    }

    /// <summary>Twice the command timeout: a server silent that long while owing replies is taken as gone, not slow.</summary>
    private TimeSpan SilenceLimit => Options.CommandTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : 2 * Options.CommandTimeout;

    private static bool IsUsableTimeout(TimeSpan timeout) => timeout > TimeSpan.Zero || timeout == Timeout.InfiniteTimeSpan;

    private TimeSpan Remaining(long started)
    {
        if (Options.CommandTimeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = Options.CommandTimeout - Stopwatch.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
