namespace HealthMedallion.Redis.Protocol;

/// <summary>Builds each command with its decoder; shared by <see cref="RedisConnection"/> and <see cref="RedisTransaction"/>.</summary>
internal static class Commands
{
    // Commands that change the state of the one shared connection (or its reply pairing) for every other caller.
    private static readonly HashSet<string> ConnectionStateCommands = new(StringComparer.OrdinalIgnoreCase)
    {
        "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH",
        "SELECT", "AUTH", "HELLO", "RESET", "QUIT",
    };

    public static RedisCommand<bool> Ping() => new(new RespRequest("PING", 0), Replies.Ok);

    public static RedisCommand<string?> Get(string key) => new(new RespRequest("GET", 1).Add(key), Replies.String);

    public static RedisCommand<byte[]?> GetBytes(string key) => new(new RespRequest("GET", 1).Add(key), Replies.Bytes);

    public static RedisCommand<string?[]> MGet(IReadOnlyCollection<string> keys) => new(Keys("MGET", keys), Replies.Strings);

    public static RedisCommand<byte[]?[]> MGetBytes(IReadOnlyCollection<string> keys) => new(Keys("MGET", keys), Replies.BytesArray);

    public static RedisCommand<bool> Set(string key, string value, TimeSpan? expiry, SetCondition condition) =>
        new(SetOptions(new RespRequest("SET", SetArgumentCount(expiry, condition)).Add(key).Add(value), expiry, condition), Replies.Ok);

    public static RedisCommand<bool> Set(string key, ReadOnlyMemory<byte> value, TimeSpan? expiry, SetCondition condition) =>
        new(SetOptions(new RespRequest("SET", SetArgumentCount(expiry, condition)).Add(key).Add(value.Span), expiry, condition), Replies.Ok);

    public static RedisCommand<bool> Del(string key) => new(new RespRequest("DEL", 1).Add(key), Replies.IntegerIsPositive);

    public static RedisCommand<long> Del(IReadOnlyCollection<string> keys) => new(Keys("DEL", keys), Replies.Integer);

    public static RedisCommand<bool> Exists(string key) => new(new RespRequest("EXISTS", 1).Add(key), Replies.IntegerIsPositive);

    public static RedisCommand<bool> Expire(string key, TimeSpan expiry)
    {
        // EXPIRE takes seconds; PEXPIRE keeps sub-second precision when it is asked for.
        var request = WholeSeconds(expiry) is { } seconds
            ? new RespRequest("EXPIRE", 2).Add(key).Add(seconds)
            : new RespRequest("PEXPIRE", 2).Add(key).Add(Milliseconds(expiry));
        return new(request, Replies.IntegerIsPositive);
    }

    public static RedisCommand<TimeSpan?> TimeToLive(string key) => new(new RespRequest("PTTL", 1).Add(key), Replies.TimeToLive);

    public static RedisCommand<bool> HSet(string key, string field, string value) =>
        new(new RespRequest("HSET", 3).Add(key).Add(field).Add(value), Replies.IntegerIsPositive);

    public static RedisCommand<bool> HSet(string key, string field, ReadOnlyMemory<byte> value) =>
        new(new RespRequest("HSET", 3).Add(key).Add(field).Add(value.Span), Replies.IntegerIsPositive);

    public static RedisCommand<long> HSet(string key, IReadOnlyCollection<KeyValuePair<string, string>> fields)
    {
        RequireAny(fields, "fields");
        var request = new RespRequest("HSET", 1 + (2 * fields.Count)).Add(key);
        foreach (var (field, value) in fields)
        {
            request.Add(field).Add(value);
        }

        return new(request, Replies.Integer);
    }

    public static RedisCommand<string?> HGet(string key, string field) =>
        new(new RespRequest("HGET", 2).Add(key).Add(field), Replies.String);

    public static RedisCommand<string?[]> HMGet(string key, IReadOnlyCollection<string> fields) =>
        new(KeyAndFields("HMGET", key, fields), Replies.Strings);

    public static RedisCommand<byte[]?[]> HMGetBytes(string key, IReadOnlyCollection<string> fields) =>
        new(KeyAndFields("HMGET", key, fields), Replies.BytesArray);

    public static RedisCommand<Dictionary<string, string>> HGetAll(string key) =>
        new(new RespRequest("HGETALL", 1).Add(key), Replies.Hash);

    public static RedisCommand<Dictionary<string, byte[]>> HGetAllBytes(string key) =>
        new(new RespRequest("HGETALL", 1).Add(key), Replies.HashBytes);

    /// <summary>EVAL or EVALSHA: script (or its SHA1), the key count, the keys, then the arguments.</summary>
    public static RedisCommand<RedisResult> Eval(
        string command, string scriptOrSha1, IReadOnlyCollection<string>? keys, IReadOnlyCollection<object>? args)
    {
        keys ??= [];
        args ??= [];
        var request = new RespRequest(command, 2 + keys.Count + args.Count).Add(scriptOrSha1).Add(keys.Count);
        foreach (var key in keys)
        {
            request.Add(key);
        }

        foreach (var arg in args)
        {
            request.AddObject(arg);
        }

        return new(request, Replies.Result);
    }

    public static RedisCommand<string> ScriptLoad(string script) =>
        new(new RespRequest("SCRIPT", 2).Add("LOAD").Add(script), Replies.RequiredString);

    public static RedisCommand<ScanPage> Scan(string cursor, string pattern, int pageSize) =>
        new(new RespRequest("SCAN", 5).Add(cursor).Add("MATCH").Add(pattern).Add("COUNT").Add(pageSize), Replies.ScanPage);

    public static RedisCommand<string> Info(string? section) =>
        new(section is null ? new RespRequest("INFO", 0) : new RespRequest("INFO", 1).Add(section), Replies.RequiredString);

    /// <exception cref="ArgumentException">The command would change the shared connection's state for every caller.</exception>
    public static RedisCommand<RedisResult> Any(string command, IReadOnlyCollection<object> args)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(args);
        if (ConnectionStateCommands.Contains(command)
            || (command.Equals("CLIENT", StringComparison.OrdinalIgnoreCase)
                && args.FirstOrDefault() is string sub && sub.Equals("REPLY", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException(
                $"{command.ToUpperInvariant()} would change the state of the connection shared by all callers; "
                + "use CreateTransaction() for MULTI/EXEC, RedisOptions for AUTH/SELECT, or a dedicated client for pub/sub.",
                nameof(command));
        }

        var request = new RespRequest(command, args.Count);
        foreach (var arg in args)
        {
            request.AddObject(arg);
        }

        return new(request, Replies.Result);
    }

    private static int SetArgumentCount(TimeSpan? expiry, SetCondition condition) =>
        2 + (expiry is null ? 0 : 2) + (condition == SetCondition.Always ? 0 : 1);

    private static RespRequest SetOptions(RespRequest request, TimeSpan? expiry, SetCondition condition)
    {
        if (expiry is { } ttl)
        {
            if (WholeSeconds(ttl) is { } seconds)
            {
                request.Add("EX").Add(seconds);
            }
            else
            {
                request.Add("PX").Add(Milliseconds(ttl));
            }
        }

        return condition switch
        {
            SetCondition.Always => request,
            SetCondition.NotExists => request.Add("NX"),
            SetCondition.Exists => request.Add("XX"),
            _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, "Unknown SetCondition."),
        };
    }

    private static long? WholeSeconds(TimeSpan expiry)
    {
        CheckExpiry(expiry);
        return expiry.Ticks % TimeSpan.TicksPerSecond == 0 ? (long)expiry.TotalSeconds : null;
    }

    private static long Milliseconds(TimeSpan expiry)
    {
        CheckExpiry(expiry);

        // Round up: a sub-millisecond expiry must not become PX 0, which Redis rejects.
        return (long)Math.Ceiling(expiry.TotalMilliseconds);
    }

    private static void CheckExpiry(TimeSpan expiry)
    {
        if (expiry <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(expiry), expiry, "An expiry must be positive; delete the key instead.");
        }
    }

    private static RespRequest Keys(string command, IReadOnlyCollection<string> keys)
    {
        RequireAny(keys, "keys");
        var request = new RespRequest(command, keys.Count);
        foreach (var key in keys)
        {
            request.Add(key);
        }

        return request;
    }

    private static RespRequest KeyAndFields(string command, string key, IReadOnlyCollection<string> fields)
    {
        RequireAny(fields, "fields");
        var request = new RespRequest(command, 1 + fields.Count).Add(key);
        foreach (var field in fields)
        {
            request.Add(field);
        }

        return request;
    }

    private static void RequireAny<T>(IReadOnlyCollection<T> items, string name)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        if (items.Count == 0)
        {
            throw new ArgumentException($"At least one item is needed in '{name}'.", name);
        }
    }
}
