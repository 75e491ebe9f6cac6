using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace HealthMedallion.Redis.Tests;

/// <summary>Tests that need a server of their own: passwords, databases, and killing the server under load.</summary>
public sealed class PrivateServerTests
{
    [Fact]
    public async Task Auth_CorrectPassword_CommandsSucceed()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync("--requirepass", "s3cret=");
        await using var redis = new RedisConnection(RedisOptions.Parse($"127.0.0.1:{server.Port},password=s3cret="));

        // Act
        await redis.StringSetAsync("k", "v");

        // Assert
        Assert.Equal("v", await redis.StringGetAsync("k"));
    }

    [Fact]
    public async Task Auth_WrongPassword_ThrowsConnectionExceptionCarryingTheServerError()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync("--requirepass", "s3cret");
        await using var redis = new RedisConnection(server.Options with { Password = "wrong" });

        // Act
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.StringGetAsync("k"));

        // Assert
        var serverError = Assert.IsType<RedisServerException>(error.InnerException);
        Assert.Equal("WRONGPASS", serverError.ErrorCode);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        Assert.False(redis.IsConnected);
    }

    [Fact]
    public async Task Auth_NoPasswordGiven_CommandsFailWithNoAuth()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync("--requirepass", "s3cret");
        await using var redis = new RedisConnection(server.Options);

        // Act
        var error = await Assert.ThrowsAsync<RedisServerException>(() => redis.StringGetAsync("k"));

        // Assert
        Assert.Equal("NOAUTH", error.ErrorCode);
    }

    [Fact]
    public async Task DefaultDatabase_SelectedOnConnect_KeysAreSeparateFromOtherDatabases()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync();
        await using var database3 = new RedisConnection(RedisOptions.Parse($"127.0.0.1:{server.Port},defaultDatabase=3"));
        await using var database0 = new RedisConnection(server.Options);
        await using var database3Again = new RedisConnection(server.Options with { Database = 3 });

        // Act
        await database3.StringSetAsync("shared-name", "in 3");
        await database0.StringSetAsync("shared-name", "in 0");

        // Assert
        Assert.Equal("in 3", await database3Again.StringGetAsync("shared-name"));
        Assert.Equal("in 0", await database0.StringGetAsync("shared-name"));
        Assert.Contains("db3:keys=1", await database0.InfoAsync("keyspace"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ssl_ServerCertificateTrustedByCallback_CommandsRunOverTls()
    {
        // Arrange
        using var certificate = new TestCertificate();
        await using var server = await RedisServerProcess.StartWithTlsAsync(certificate.CertificateFile, certificate.KeyFile);
        var options = RedisOptions.Parse($"localhost:{server.Port},ssl=true") with
        {
            CertificateValidation = (_, presented, _, _) => presented?.GetCertHashString() == certificate.Thumbprint,
        };
        await using var redis = new RedisConnection(options);

        // Act
        await redis.StringSetAsync("secure", "yes");

        // Assert
        Assert.Equal("yes", await redis.StringGetAsync("secure"));
    }

    [Fact]
    public async Task Ssl_UntrustedServerCertificate_ThrowsConnectionException()
    {
        // Arrange: the system does not trust a self-signed certificate
        using var certificate = new TestCertificate();
        await using var server = await RedisServerProcess.StartWithTlsAsync(certificate.CertificateFile, certificate.KeyFile);
        await using var redis = new RedisConnection(RedisOptions.Parse($"localhost:{server.Port},ssl=true"));

        // Act
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.PingAsync());

        // Assert
        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }

    [Fact]
    public async Task NoServerListening_Command_ThrowsConnectionExceptionQuickly()
    {
        // Arrange: a port that nothing listens on any more
        var server = await RedisServerProcess.StartAsync();
        await server.KillAsync();
        await using var redis = new RedisConnection(server.Options);
        var stopwatch = Stopwatch.StartNew();

        // Act
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => redis.PingAsync());

        // Assert
        Assert.Contains($"127.0.0.1:{server.Port}", error.Message, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}"); // well under the 5 s connect timeout
    }

    [Fact]
    public async Task ServerDown_CommandsFailClearly_ThenSucceedOnceItIsBack()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = new RedisConnection(server.Options);
        await redis.StringSetAsync("k", "before");
        await server.KillAsync();

        // Act: while it is down, commands fail with a connection error (the first from the dropped socket,
        // later ones from refused reconnects, spaced by the back-off)
        var whileDown = new List<Exception>();
        for (var i = 0; i < 5; i++)
        {
            whileDown.Add(await Assert.ThrowsAsync<RedisConnectionException>(() => redis.StringGetAsync("k")));
        }

        await server.StartAsync();
        var stopwatch = Stopwatch.StartNew();
        await redis.StringSetAsync("k", "after"); // may wait out the back-off, within the command timeout
        var recoveredIn = stopwatch.Elapsed;

        // Assert
        Assert.All(whileDown, e => Assert.IsType<RedisConnectionException>(e));
        Assert.Equal("after", await redis.StringGetAsync("k"));
        Assert.True(recoveredIn < TimeSpan.FromSeconds(3), $"recovered in {recoveredIn}"); // back-off is at most 1 s
    }

    [Fact]
    public async Task ServerStalled_SilentForTwiceTheCommandTimeout_ConnectionIsDroppedAndRecoversOnResume()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync();
        // Timeouts of a second leave a margin for a loaded machine: the first silence must stay under two of them, the second go over.
        await using var redis = new RedisConnection(server.Options with { CommandTimeout = TimeSpan.FromSeconds(1) });
        await redis.StringSetAsync("k", "v");
        bool connectedAfterOneTimeout;
        bool connectedAfterLongSilence;

        // Act: a silence of one timeout may be one slow command; a silence past twice the timeout is a gone server
        await server.PauseAsync();
        try
        {
            await Assert.ThrowsAsync<RedisTimeoutException>(() => redis.StringGetAsync("k"));
            connectedAfterOneTimeout = redis.IsConnected;
            await Task.Delay(1200);
            await Assert.ThrowsAsync<RedisTimeoutException>(() => redis.StringGetAsync("k"));

            // The timeout sweep fails the command first and drops the connection right after: the caller may resume in between.
            var dropping = Stopwatch.StartNew();
            while (redis.IsConnected && dropping.Elapsed < TimeSpan.FromSeconds(2))
            {
                await Task.Delay(10);
            }

            connectedAfterLongSilence = redis.IsConnected;
        }
        finally
        {
            await server.ResumeAsync();
        }

        // Assert: the next command opens a fresh connection
        Assert.True(connectedAfterOneTimeout);
        Assert.False(connectedAfterLongSilence);
        Assert.Equal("v", await redis.StringGetAsync("k"));
        Assert.True(redis.IsConnected);
    }

    [Fact]
    public async Task ServerRestart_WithCallersInFlight_EachGetsAnAnswerOrConnectionErrorAndTheConnectionRecovers()
    {
        // Arrange
        await using var server = await RedisServerProcess.StartAsync();
        await using var redis = new RedisConnection(server.Options);
        await redis.StringSetAsync("k", "v");
        using var stop = new CancellationTokenSource();
        var successes = 0;
        var connectionErrors = 0;
        var unexpected = new ConcurrentBag<Exception>();
        var slowest = TimeSpan.Zero;
        var succeededAfterRestart = new ConcurrentDictionary<int, bool>();
        var restarted = false;

        // 50 callers loop on the shared connection, each timing every call
        var callers = Enumerable.Range(0, 50).Select(caller => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var wasRestarted = Volatile.Read(ref restarted);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await redis.StringSetAsync("caller:" + caller.ToString(CultureInfo.InvariantCulture), "x");
                    await redis.StringGetAsync("k");
                    Interlocked.Increment(ref successes);
                    if (wasRestarted)
                    {
                        succeededAfterRestart[caller] = true;
                    }
                }
                catch (RedisConnectionException)
                {
                    Interlocked.Increment(ref connectionErrors);
                    await Task.Delay(5);
                }
                catch (Exception ex)
                {
                    unexpected.Add(ex);
                }

                var took = Stopwatch.GetElapsedTime(started);
                lock (unexpected)
                {
                    slowest = took > slowest ? took : slowest;
                }
            }
        })).ToList();

        // Act: kill the server under load, bring it back on the same port
        await Task.Delay(200);
        await server.KillAsync();
        await Task.Delay(200);
        await server.StartAsync();
        Volatile.Write(ref restarted, true);
        var deadline = Stopwatch.StartNew();
        while (succeededAfterRestart.Count < 50 && deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        var allReturned = Task.WhenAll(callers);
        var finished = await Task.WhenAny(allReturned, Task.Delay(TimeSpan.FromSeconds(10))) == allReturned;

        // Assert: no caller hung or saw anything but an answer or a connection error, and the same
        // RedisConnection works again for everyone
        Assert.True(finished, "some callers never returned");
        Assert.Empty(unexpected);
        Assert.True(connectionErrors > 0, "killing the server failed no command");
        Assert.True(successes > connectionErrors, $"{successes} successes, {connectionErrors} connection errors");
        Assert.Equal(50, succeededAfterRestart.Count);
        Assert.True(slowest < server.Options.CommandTimeout + TimeSpan.FromSeconds(1), $"slowest call took {slowest}");
        await redis.StringSetAsync("k", "after restart");
        Assert.Equal("after restart", await redis.StringGetAsync("k"));
        Assert.True(redis.IsConnected);
    }
}
