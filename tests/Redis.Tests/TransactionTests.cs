using System.Globalization;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Redis.Tests;

public sealed class TransactionTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly string _prefix = services.RedisKeyPrefix;
    private RedisConnection _redis = null!;

    public Task InitializeAsync()
    {
        _redis = new RedisConnection(services.Redis);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task ExecuteAsync_QueuedCommands_RunAndCompleteTheirOwnTasks()
    {
        // Arrange
        var key = _prefix + "tx:value";
        var counter = _prefix + "tx:counter";
        var hash = _prefix + "tx:hash";
        var transaction = _redis.CreateTransaction();
        var set = transaction.StringSetAsync(key, "v1", TimeSpan.FromMinutes(5));
        var first = transaction.ExecuteAsync("INCR", counter);
        var second = transaction.ExecuteAsync("INCR", counter);
        var get = transaction.StringGetAsync(key);
        var hashSet = transaction.HashSetAsync(hash, [new("a", "1"), new("b", "2")]);
        var hashAll = transaction.HashGetAllAsync(hash);
        var deleted = transaction.KeyDeleteAsync(_prefix + "tx:missing");

        // Act
        await transaction.ExecuteAsync();

        // Assert
        Assert.True(await set);
        Assert.Equal(1, (await first).AsInt64());
        Assert.Equal(2, (await second).AsInt64());
        Assert.Equal("v1", await get);
        Assert.Equal(2, await hashSet);
        Assert.Equal("2", (await hashAll)["b"]);
        Assert.False(await deleted);
    }

    [Fact]
    public async Task ExecuteAsync_CommandRejectedWhileQueuing_AbortsTheWholeTransaction()
    {
        // Arrange
        var key = _prefix + "tx:aborted";
        var transaction = _redis.CreateTransaction();
        var valid = transaction.StringSetAsync(key, "never");
        var invalid = transaction.ExecuteAsync("SET", key); // wrong number of arguments: rejected at queue time

        // Act
        var error = await Assert.ThrowsAsync<RedisServerException>(() => transaction.ExecuteAsync());

        // Assert
        Assert.Equal("EXECABORT", error.ErrorCode);
        var cause = Assert.IsType<RedisServerException>(error.InnerException);
        Assert.Contains("wrong number of arguments", cause.Message, StringComparison.Ordinal);
        Assert.Equal("EXECABORT", (await Assert.ThrowsAsync<RedisServerException>(() => valid)).ErrorCode);
        Assert.Contains("wrong number of arguments", (await Assert.ThrowsAsync<RedisServerException>(() => invalid)).Message, StringComparison.Ordinal);
        Assert.Null(await _redis.StringGetAsync(key));
    }

    [Fact]
    public async Task ExecuteAsync_CommandFailingAtRunTime_FailsOnlyThatCommand()
    {
        // Arrange
        var hash = _prefix + "tx:hash-for-wrongtype";
        var key = _prefix + "tx:after-error";
        await _redis.HashSetAsync(hash, "f", "v");
        var transaction = _redis.CreateTransaction();
        var wrongType = transaction.StringGetAsync(hash);
        var set = transaction.StringSetAsync(key, "ran");

        // Act
        await transaction.ExecuteAsync();

        // Assert: Redis has no rollback; the other command ran
        Assert.Equal("WRONGTYPE", (await Assert.ThrowsAsync<RedisServerException>(() => wrongType)).ErrorCode);
        Assert.True(await set);
        Assert.Equal("ran", await _redis.StringGetAsync(key));
    }

    [Fact]
    public async Task ExecuteAsync_ManyTransactionsAmongOtherCallers_NeverInterleave()
    {
        // Arrange
        var counter = _prefix + "tx:shared-counter";

        // Act: each transaction increments twice; plain commands run concurrently on the same connection
        var transactions = Enumerable.Range(0, 200).Select(async _ =>
        {
            var transaction = _redis.CreateTransaction();
            var a = transaction.ExecuteAsync("INCR", counter);
            var b = transaction.ExecuteAsync("INCR", counter);
            await transaction.ExecuteAsync();
            return (await b).AsInt64() - (await a).AsInt64();
        });
        var others = Enumerable.Range(0, 200).Select(i => _redis.StringSetAsync(_prefix + "tx:other:" + i.ToString(CultureInfo.InvariantCulture), "x"));
        var steps = await Task.WhenAll(transactions);
        await Task.WhenAll(others);

        // Assert: no other INCR ever landed between a transaction's two
        Assert.All(steps, step => Assert.Equal(1, step));
        Assert.Equal("400", await _redis.StringGetAsync(counter));
    }

    [Fact]
    public async Task ExecuteAsync_CancelledWhileWaiting_CancelsQueuedTasksAndLaterRepliesStayPaired()
    {
        // Arrange: BLPOP holds every reply behind it for 300 ms
        var key = _prefix + "tx:cancelled";
        await _redis.StringSetAsync(_prefix + "tx:later", "later");
        var blocker = _redis.ExecuteAsync("BLPOP", _prefix + "tx:empty", "0.3");
        var transaction = _redis.CreateTransaction();
        var set = transaction.StringSetAsync(key, "ran anyway");
        var get = transaction.StringGetAsync(key);
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        // Act
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transaction.ExecuteAsync(soon.Token));

        // Assert: the queued tasks end too; MULTI/EXEC's four replies are consumed without shifting later ones.
        // It had been sent, so it still ran: cancelling stops the wait, not the server.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => set);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);
        Assert.True((await blocker).IsNull);
        Assert.Equal("later", await _redis.StringGetAsync(_prefix + "tx:later"));
        Assert.Equal("ran anyway", await _redis.StringGetAsync(key));
    }

    [Fact]
    public async Task ExecuteAsync_EmptyOrAlreadyExecuted_SendsNothingOrThrows()
    {
        // Arrange
        var transaction = _redis.CreateTransaction();

        // Act
        await transaction.ExecuteAsync();

        // Assert
        await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.ExecuteAsync());
        Assert.Throws<InvalidOperationException>(() => { _ = transaction.StringGetAsync(_prefix + "late"); });
    }
}
