using HealthMedallion.TestSupport;

namespace HealthMedallion.Redis.Tests;

/// <summary>Each command against the shared test redis-server, every key under this class's prefix.</summary>
public sealed class RedisCommandTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
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
    public async Task PingAsync_ServerUp_ReturnsRoundTripTime()
    {
        // Act
        var roundTrip = await _redis.PingAsync();

        // Assert
        Assert.True(roundTrip > TimeSpan.Zero && roundTrip < TimeSpan.FromSeconds(5), $"round trip {roundTrip}");
        Assert.True(_redis.IsConnected);
    }

    [Fact]
    public async Task StringSetAndGet_UnicodeText_RoundTrips()
    {
        // Arrange
        var key = _prefix + "text";
        const string value = "héllo ✓ 日本 \r\n end";

        // Act
        var set = await _redis.StringSetAsync(key, value);
        var read = await _redis.StringGetAsync(key);

        // Assert
        Assert.True(set);
        Assert.Equal(value, read);
    }

    [Fact]
    public async Task StringGetAsync_MissingKey_ReturnsNull()
    {
        // Act + Assert
        Assert.Null(await _redis.StringGetAsync(_prefix + "missing"));
        Assert.Null(await _redis.StringGetBytesAsync(_prefix + "missing"));
    }

    [Fact]
    public async Task StringSetAndGet_BinaryValueWithCrLfAndZeros_RoundTripsExactly()
    {
        // Arrange: every byte value, CR LF pairs, zeros, and a 1 MB value that spans many receive buffers.
        var key = _prefix + "binary";
        var small = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\r\n\0\r\n"u8.ToArray()).ToArray();
        var large = new byte[1024 * 1024];
        new Random(42).NextBytes(large);
        large[1000] = (byte)'\r';
        large[1001] = (byte)'\n';

        // Act
        await _redis.StringSetAsync(key, small);
        var smallRead = await _redis.StringGetBytesAsync(key);
        await _redis.StringSetAsync(key + ":large", large);
        var largeRead = await _redis.StringGetBytesAsync(key + ":large");

        // Assert
        Assert.Equal(small, smallRead);
        Assert.Equal(large, largeRead);
    }

    [Fact]
    public async Task StringSetAsync_WithExpiry_SetsTimeToLive()
    {
        // Arrange
        var seconds = _prefix + "ttl:seconds";
        var millis = _prefix + "ttl:millis";

        // Act: whole seconds go as EX, the rest as PX
        await _redis.StringSetAsync(seconds, "v", TimeSpan.FromSeconds(100));
        await _redis.StringSetAsync(millis, "v", TimeSpan.FromMilliseconds(1500));
        var secondsTtl = await _redis.KeyTimeToLiveAsync(seconds);
        var millisTtl = await _redis.KeyTimeToLiveAsync(millis);

        // Assert
        Assert.InRange(secondsTtl!.Value, TimeSpan.FromSeconds(98), TimeSpan.FromSeconds(100));
        Assert.InRange(millisTtl!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1500));
        Assert.Null(await _redis.KeyTimeToLiveAsync(_prefix + "ttl:missing"));
    }

    [Fact]
    public async Task StringSetAsync_NotExistsAndExistsConditions_WriteOnlyWhenTheConditionHolds()
    {
        // Arrange
        var key = _prefix + "conditional";

        // Act
        var xxOnMissing = await _redis.StringSetAsync(key, "a", null, SetCondition.Exists);
        var nxOnMissing = await _redis.StringSetAsync(key, "b", null, SetCondition.NotExists);
        var nxOnExisting = await _redis.StringSetAsync(key, "c", TimeSpan.FromMinutes(1), SetCondition.NotExists);
        var xxOnExisting = await _redis.StringSetAsync(key, "d"u8.ToArray(), null, SetCondition.Exists);

        // Assert
        Assert.False(xxOnMissing);
        Assert.True(nxOnMissing);
        Assert.False(nxOnExisting);
        Assert.True(xxOnExisting);
        Assert.Equal("d", await _redis.StringGetAsync(key));
    }

    [Fact]
    public async Task StringGetAsync_ManyKeys_ReturnsValuesInOrderWithNullsForMissing()
    {
        // Arrange
        await _redis.StringSetAsync(_prefix + "m1", "one");
        await _redis.StringSetAsync(_prefix + "m3", "three");

        // Act
        var values = await _redis.StringGetAsync([_prefix + "m1", _prefix + "m2", _prefix + "m3"]);
        var bytes = await _redis.StringGetBytesAsync([_prefix + "m3", _prefix + "m2"]);

        // Assert
        Assert.Equal(new[] { "one", null, "three" }.AsEnumerable(), values.AsEnumerable());
        Assert.Equal("three"u8.ToArray(), bytes[0]);
        Assert.Null(bytes[1]);
    }

    [Fact]
    public async Task KeyDeleteAsync_ExistingAndMissingKeys_ReportsWhatWasDeleted()
    {
        // Arrange
        await _redis.StringSetAsync(_prefix + "d1", "x");
        await _redis.StringSetAsync(_prefix + "d2", "x");
        await _redis.StringSetAsync(_prefix + "d3", "x");

        // Act
        var single = await _redis.KeyDeleteAsync(_prefix + "d1");
        var singleAgain = await _redis.KeyDeleteAsync(_prefix + "d1");
        var many = await _redis.KeyDeleteAsync([_prefix + "d2", _prefix + "d3", _prefix + "d4"]);

        // Assert
        Assert.True(single);
        Assert.False(singleAgain);
        Assert.Equal(2, many);
        Assert.False(await _redis.KeyExistsAsync(_prefix + "d2"));
    }

    [Fact]
    public async Task KeyExpireAsync_ExistingKey_SetsTimeToLive_MissingKey_ReturnsFalse()
    {
        // Arrange
        var key = _prefix + "expire";
        await _redis.StringSetAsync(key, "v");

        // Act
        var existing = await _redis.KeyExpireAsync(key, TimeSpan.FromSeconds(30));
        var missing = await _redis.KeyExpireAsync(_prefix + "expire:missing", TimeSpan.FromSeconds(30));
        var shortened = await _redis.KeyExpireAsync(key, TimeSpan.FromMilliseconds(200)); // PEXPIRE
        await Task.Delay(400);

        // Assert
        Assert.True(existing);
        Assert.False(missing);
        Assert.True(shortened);
        Assert.Null(await _redis.StringGetAsync(key));
    }

    [Fact]
    public async Task Hashes_SetGetManyAndAll_RoundTrip()
    {
        // Arrange
        var key = _prefix + "hash";

        // Act
        var added = await _redis.HashSetAsync(key, [new("name", "Ada"), new("city", "Zürich"), new("empty", "")]);
        var isNew = await _redis.HashSetAsync(key, "name", "Grace");
        var binary = await _redis.HashSetAsync(key, "raw", new byte[] { 0, 13, 10, 255 });
        var one = await _redis.HashGetAsync(key, "city");
        var many = await _redis.HashGetAsync(key, ["name", "nope", "empty"]);
        var manyBytes = await _redis.HashGetBytesAsync(key, ["raw"]);
        var all = await _redis.HashGetAllAsync(key);
        var allBytes = await _redis.HashGetAllBytesAsync(key);
        var none = await _redis.HashGetAllAsync(_prefix + "hash:missing");

        // Assert
        Assert.Equal(3, added);
        Assert.False(isNew);
        Assert.True(binary);
        Assert.Equal("Zürich", one);
        Assert.Equal(new[] { "Grace", null, "" }.AsEnumerable(), many.AsEnumerable());
        Assert.Equal(new byte[] { 0, 13, 10, 255 }, manyBytes[0]);
        Assert.Equal(4, all.Count);
        Assert.Equal("Grace", all["name"]);
        Assert.Equal(new byte[] { 0, 13, 10, 255 }, allBytes["raw"]);
        Assert.Empty(none);
    }

    [Fact]
    public async Task StringGetAsync_KeyHoldsAHash_ThrowsWrongTypeWithServerMessage()
    {
        // Arrange
        var key = _prefix + "wrongtype";
        await _redis.HashSetAsync(key, "f", "v");

        // Act
        var error = await Assert.ThrowsAsync<RedisServerException>(() => _redis.StringGetAsync(key));

        // Assert: the server's message, unchanged, and the connection still serves the next command
        Assert.Equal("WRONGTYPE", error.ErrorCode);
        Assert.Equal("WRONGTYPE Operation against a key holding the wrong kind of value", error.Message);
        Assert.Equal("v", await _redis.HashGetAsync(key, "f"));
    }

    [Fact]
    public async Task ExecuteAsync_UnknownCommand_ThrowsServerErrorNamingIt()
    {
        // Act
        var error = await Assert.ThrowsAsync<RedisServerException>(() => _redis.ExecuteAsync("NOSUCHCOMMAND", "a"));

        // Assert
        Assert.Equal("ERR", error.ErrorCode);
        Assert.StartsWith("ERR unknown command 'NOSUCHCOMMAND'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_AnyCommand_ReturnsItsReplyShape()
    {
        // Arrange
        var list = _prefix + "list";

        // Act
        var pushed = await _redis.ExecuteAsync("RPUSH", list, "a", 2, 3.5, "d"u8.ToArray());
        var range = await _redis.ExecuteAsync("LRANGE", [list, 0, -1], CancellationToken.None);
        var status = await _redis.ExecuteAsync("SET", _prefix + "status", "x");
        var missing = await _redis.ExecuteAsync("GET", _prefix + "nothing");

        // Assert
        Assert.Equal(RedisResultType.Integer, pushed.Type);
        Assert.Equal(4, pushed.AsInt64());
        Assert.Equal(["a", "2", "3.5", "d"], range.AsArray().Select(r => r.AsString()));
        Assert.Equal(RedisResultType.SimpleString, status.Type);
        Assert.Equal("OK", status.AsString());
        Assert.True(missing.IsNull);
    }

    [Theory]
    [InlineData("MULTI")]
    [InlineData("select")]
    [InlineData("SUBSCRIBE")]
    public async Task ExecuteAsync_ConnectionStateCommand_IsRefusedBeforeSending(string command)
    {
        // Act + Assert
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _redis.ExecuteAsync(command, "1"));
        Assert.Contains("shared", error.Message, StringComparison.Ordinal);
        Assert.True(await _redis.PingAsync() > TimeSpan.Zero);
    }

    [Fact]
    public async Task ExecuteAsync_TokenPassedAsArgument_ThrowsWithHint()
    {
        // Act + Assert
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _redis.ExecuteAsync("GET", "k", CancellationToken.None));
        Assert.Contains("CancellationToken", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptEvaluateAsync_ScriptWithKeysAndArgs_ReturnsItsResult()
    {
        // Arrange
        var key = _prefix + "script";
        const string script = "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], tonumber(ARGV[2]) + 1, redis.call('GET', KEYS[1])}";

        // Act
        var result = await _redis.ScriptEvaluateAsync(script, [key], ["stored", 41]);

        // Assert
        var items = result.AsArray();
        Assert.Equal(key, items[0].AsString());
        Assert.Equal(42, items[1].AsInt64());
        Assert.Equal("stored", items[2].AsString());
    }

    [Fact]
    public async Task ScriptEvaluateShaAsync_LoadedScript_RunsIt_UnknownSha_ThrowsNoScript()
    {
        // Arrange
        var key = _prefix + "counter";
        var sha = await _redis.ScriptLoadAsync("return redis.call('INCRBY', KEYS[1], ARGV[1])");

        // Act
        var first = await _redis.ScriptEvaluateShaAsync(sha, [key], [5]);
        var second = await _redis.ScriptEvaluateShaAsync(sha, [key], [5]);
        var unknown = await Assert.ThrowsAsync<RedisServerException>(
            () => _redis.ScriptEvaluateShaAsync("0000000000000000000000000000000000000000", [key]));

        // Assert
        Assert.Equal(40, sha.Length);
        Assert.Equal(5, first.AsInt64());
        Assert.Equal(10, second.AsInt64());
        Assert.Equal("NOSCRIPT", unknown.ErrorCode);
    }

    [Fact]
    public async Task ScriptEvaluateAsync_ScriptRaisesError_ThrowsServerException()
    {
        // Act
        var error = await Assert.ThrowsAsync<RedisServerException>(
            () => _redis.ScriptEvaluateAsync("return redis.error_reply('MYERR custom failure')"));

        // Assert
        Assert.Equal("MYERR custom failure", error.Message);
    }

    [Fact]
    public async Task ScanKeysAsync_ManyKeys_ReturnsExactlyThoseMatchingThePattern()
    {
        // Arrange: 1,500 matching keys and some that must not match, written pipelined
        var expected = Enumerable.Range(0, 1500).Select(i => $"{_prefix}scan:{i}").ToHashSet();
        await Task.WhenAll(expected.Select(key => _redis.StringSetAsync(key, "v")));
        await _redis.StringSetAsync(_prefix + "other:1", "v");

        // Act
        var found = new HashSet<string>();
        await foreach (var key in _redis.ScanKeysAsync(_prefix + "scan:*", pageSize: 200))
        {
            found.Add(key);
        }

        // Assert
        Assert.Equal(expected.Count, found.Count);
        Assert.True(expected.SetEquals(found));
    }

    [Fact]
    public async Task InfoAsync_ServerSection_ContainsVersion()
    {
        // Act
        var all = await _redis.InfoAsync();
        var server = await _redis.InfoAsync("server");

        // Assert
        Assert.Contains("redis_version:", server, StringComparison.Ordinal);
        Assert.Contains("# Memory", all, StringComparison.Ordinal);
        Assert.DoesNotContain("# Memory", server, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Commands_InvalidArguments_ThrowBeforeSending()
    {
        // Act + Assert
        await Assert.ThrowsAsync<ArgumentException>(() => _redis.StringGetAsync(Array.Empty<string>()));
        await Assert.ThrowsAsync<ArgumentException>(() => _redis.StringSetAsync(_prefix + "k", (string)null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _redis.StringSetAsync(_prefix + "k", "v", TimeSpan.Zero));
        Assert.Equal("PONG", (await _redis.ExecuteAsync("PING")).AsString());
    }

    [Fact]
    public async Task DisposeAsync_ThenCommand_ThrowsObjectDisposed()
    {
        // Arrange
        var redis = new RedisConnection(services.Redis);
        await redis.PingAsync();

        // Act
        await redis.DisposeAsync();

        // Assert
        await Assert.ThrowsAsync<ObjectDisposedException>(() => redis.StringGetAsync(_prefix + "x"));
        Assert.False(redis.IsConnected);
    }
}
