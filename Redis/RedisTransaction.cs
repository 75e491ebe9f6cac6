using HealthMedallion.Redis.Protocol;

namespace HealthMedallion.Redis;

/// <summary>
/// Commands queued locally, then sent by <see cref="ExecuteAsync(CancellationToken)"/> as MULTI, the commands and EXEC in
/// one write, so they run on the server as one atomic unit and no other caller's command lands in between.
/// Each queuing method returns the command's own result task; it completes only once <see cref="ExecuteAsync(CancellationToken)"/>
/// has run, so await those tasks after it, never before. If a command is rejected while queuing (wrong arity, unknown
/// command) Redis discards the whole transaction: ExecuteAsync throws <see cref="RedisServerException"/> (EXECABORT,
/// with the rejection as inner exception) and every queued task fails. A command that fails while running
/// (e.g. WRONGTYPE) fails only its own task; the others still ran, as Redis has no rollback.
/// </summary>
public sealed class RedisTransaction
{
    private readonly RedisConnection _connection;
    private readonly List<PendingReply> _commands = [];
    private bool _executed;

    internal RedisTransaction(RedisConnection connection) => _connection = connection;

    public Task<string?> StringGetAsync(string key) => Queue(Commands.Get(key));

    public Task<byte[]?> StringGetBytesAsync(string key) => Queue(Commands.GetBytes(key));

    public Task<bool> StringSetAsync(string key, string value, TimeSpan? expiry = null, SetCondition condition = SetCondition.Always) =>
        Queue(Commands.Set(key, value, expiry, condition));

    public Task<bool> StringSetAsync(
        string key, ReadOnlyMemory<byte> value, TimeSpan? expiry = null, SetCondition condition = SetCondition.Always) =>
        Queue(Commands.Set(key, value, expiry, condition));

    public Task<bool> KeyDeleteAsync(string key) => Queue(Commands.Del(key));

    public Task<bool> KeyExpireAsync(string key, TimeSpan expiry) => Queue(Commands.Expire(key, expiry));

    public Task<bool> HashSetAsync(string key, string field, string value) => Queue(Commands.HSet(key, field, value));

    public Task<long> HashSetAsync(string key, IReadOnlyCollection<KeyValuePair<string, string>> fields) =>
        Queue(Commands.HSet(key, fields));

    public Task<Dictionary<string, string>> HashGetAllAsync(string key) => Queue(Commands.HGetAll(key));

    /// <summary>Any command (INCR, LPUSH, ...), as <see cref="RedisConnection.ExecuteAsync(string, object[])"/>.</summary>
    public Task<RedisResult> ExecuteAsync(string command, params object[] args) => Queue(Commands.Any(command, args));

    /// <summary>Sends the transaction and waits for EXEC; the queued tasks complete with it. An empty transaction sends nothing.</summary>
    /// <exception cref="InvalidOperationException">The transaction was already executed.</exception>
    public async Task ExecuteAsync(CancellationToken cancellationToken = default)
    {
        if (_executed)
        {
            throw new InvalidOperationException("This transaction was already executed; create a new one.");
        }

        _executed = true;
        if (_commands.Count == 0)
        {
            return;
        }

        var unit = new TransactionUnit([.. _commands]);
        await _connection.SendAsync(unit, unit.Task, cancellationToken).ConfigureAwait(false);
    }

    private Task<T> Queue<T>(RedisCommand<T> command)
    {
        if (_executed)
        {
            throw new InvalidOperationException("This transaction was already executed; queue commands on a new one.");
        }

        _commands.Add(command);
        return command.Task;
    }
}
