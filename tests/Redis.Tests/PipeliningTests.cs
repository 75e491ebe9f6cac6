using System.Diagnostics;
using System.Globalization;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Redis.Tests;

/// <summary>Many callers on one connection, and callers that stop waiting: replies must stay paired with their commands.</summary>
public sealed class PipeliningTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private readonly string _prefix = services.RedisKeyPrefix;
    private RedisConnection _redis = null!;

    public async Task InitializeAsync()
    {
        _redis = new RedisConnection(services.Redis);
        await _redis.ConnectAsync();
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task ConcurrentCallers_TenThousandMixedCommands_EachGetsItsOwnReply()
    {
        // Arrange
        const int callers = 10_000;
        var counter = _prefix + "pipeline:counter";

        // Act: every caller, on the thread pool, sends a bulk-string command, an integer command and an array command
        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(i => Task.Run(async () =>
        {
            var key = _prefix + "pipeline:" + i.ToString(CultureInfo.InvariantCulture);
            var value = "value-" + i.ToString(CultureInfo.InvariantCulture);
            await _redis.StringSetAsync(key, value);
            var read = await _redis.StringGetAsync(key);
            var incremented = await _redis.ExecuteAsync("INCR", counter);
            var pair = await _redis.StringGetAsync([key, key + ":missing"]);
            return (Expected: value, Read: read, Pair: pair, Incremented: incremented.AsInt64());
        })));

        // Assert
        Assert.All(results, r => Assert.Equal(r.Expected, r.Read));
        Assert.All(results, r => Assert.Equal(new[] { r.Expected, null }.AsEnumerable(), r.Pair.AsEnumerable()));
        Assert.Equal(Enumerable.Range(1, callers).Select(n => (long)n), results.Select(r => r.Incremented).Order());
        Assert.Equal(callers.ToString(CultureInfo.InvariantCulture), await _redis.StringGetAsync(counter));
    }

    [Fact]
    public async Task Cancellation_WhileReplyPending_DiscardsThatReplyAndLaterCommandsGetTheirOwn()
    {
        // Arrange: BLPOP on an empty list holds every reply behind it for 2 s, long enough that the cancellation below
        // comes first even on a loaded machine (with 300 ms, a late timer once let the replies arrive before it)
        await _redis.StringSetAsync(_prefix + "cancel:1", "one");
        await _redis.StringSetAsync(_prefix + "cancel:2", "two");
        await _redis.StringSetAsync(_prefix + "cancel:3", "three");
        var blocker = _redis.ExecuteAsync("BLPOP", _prefix + "cancel:empty", "2");
        using var soon = new CancellationTokenSource();

        // Act: two commands are cancelled while waiting behind it (sent, their replies pending), one in between is not
        var cancelledFirst = _redis.StringGetAsync(_prefix + "cancel:1", soon.Token);
        var waiting = _redis.StringGetAsync(_prefix + "cancel:2");
        var cancelledSecond = _redis.HashGetAllAsync(_prefix + "cancel:3", soon.Token); // would be WRONGTYPE if it ran late
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        await soon.CancelAsync();
        Assert.False(blocker.IsCompleted, "the cancellation should come while the replies are still held back");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledFirst);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledSecond);

        // Assert
        Assert.True((await blocker).IsNull);
        Assert.Equal("two", await waiting);
        Assert.Equal("three", await _redis.StringGetAsync(_prefix + "cancel:3"));
        Assert.Equal("one", await _redis.StringGetAsync(_prefix + "cancel:1"));
    }

    [Fact]
    public async Task Cancellation_TokenAlreadyCancelled_ThrowsAndNothingIsLeftBehind()
    {
        // Arrange
        await _redis.StringSetAsync(_prefix + "precancel", "kept");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // Act
        var attempts = Enumerable.Range(0, 100).Select(_ => _redis.StringSetAsync(_prefix + "precancel", "overwritten", null, cancelled.Token)).ToList();

        // Assert
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);
        }

        Assert.Equal("kept", await _redis.StringGetAsync(_prefix + "precancel"));
    }

    [Fact]
    public async Task CommandTimeout_ReplyTooLate_ThrowsRedisTimeoutAndLaterRepliesStayPaired()
    {
        // Arrange
        await using var redis = new RedisConnection(RedisOptions.Parse(services.Redis) with { CommandTimeout = TimeSpan.FromMilliseconds(150) });
        await redis.StringSetAsync(_prefix + "timeout", "mine");
        var stopwatch = Stopwatch.StartNew();

        // Act: BLPOP answers after 1.5 s, and the GET queued behind it waits just as long (far beyond the
        // 150 ms timeout, so that even a loaded machine times both out before the replies come)
        var slow = redis.ExecuteAsync("BLPOP", _prefix + "timeout:empty", "1.5");
        var behind = redis.StringGetAsync(_prefix + "timeout");
        var slowError = await Assert.ThrowsAsync<RedisTimeoutException>(() => slow);
        var behindError = await Assert.ThrowsAsync<RedisTimeoutException>(() => behind);
        var waited = stopwatch.Elapsed;
        await Task.Delay(1700); // the late replies arrive and are dropped

        // Assert
        Assert.True(waited < TimeSpan.FromMilliseconds(1200), $"timed out after {waited}");
        Assert.Contains("BLPOP", slowError.Message, StringComparison.Ordinal);
        Assert.Contains("GET", behindError.Message, StringComparison.Ordinal);
        Assert.Equal("mine", await redis.StringGetAsync(_prefix + "timeout"));
        Assert.Equal(1, (await redis.ExecuteAsync("EXISTS", _prefix + "timeout")).AsInt64());
    }
}
