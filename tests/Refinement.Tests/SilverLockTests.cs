using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.TestSupport;
using Npgsql;

namespace HealthMedallion.Refinement.Tests;

/// <summary>
/// Who may write to silver at the same time: any claims and events batches may merge at once, two batches of one entity
/// taking turns only for what they derive; a patient batch (or the orphan sweep) writes alone. Each writer is a real transaction on its own connection;
/// a writer that waits is seen waiting on an advisory lock in <c>pg_stat_activity</c>, not inferred from a delay.
/// </summary>
public sealed class SilverLockTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly List<NpgsqlConnection> _connections = [];

    [Fact]
    public async Task ClaimsAndEventsWriters_HoldTheLockAtOnce()
    {
        // Arrange
        var claims = await BeginAsync();
        await SilverLock.AcquireAsync(claims, alone: false, CancellationToken.None);

        // Act
        var events = await BeginAsync();
        var acquired = SilverLock.AcquireAsync(events, alone: false, CancellationToken.None);

        // Assert
        Assert.Same(acquired, await Task.WhenAny(acquired, Task.Delay(Patience)));
    }

    [Fact]
    public async Task TwoWritersOfOneEntity_MergeAtOnce_AndTakeTurnsForWhatTheyDerive()
    {
        // Arrange: both merging
        var first = await BeginAsync();
        await SilverLock.AcquireAsync(first, alone: false, CancellationToken.None);
        var second = await BeginAsync();
        var merging = SilverLock.AcquireAsync(second, alone: false, CancellationToken.None);
        Assert.Same(merging, await Task.WhenAny(merging, Task.Delay(Patience)));

        // Act: the first derives, then the second wants to
        await SilverLock.SerializeEntityAsync(first, Entities.Claims, CancellationToken.None);
        var deriving = SilverLock.SerializeEntityAsync(second, Entities.Claims, CancellationToken.None);

        // Assert: the second waits until the first commits
        Assert.True(await WaitsOnAdvisoryLockAsync(second), "the second claims writer should wait for the first");
        await CommitAsync(first);
        Assert.Same(deriving, await Task.WhenAny(deriving, Task.Delay(Patience)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WriterAlone_WaitsForAnEntityWriter_AndTheEntityWriterForIt(bool deriving)
    {
        // Arrange: an entity writer holds the lock
        var writer = await BeginAsync();
        await SilverLock.AcquireAsync(writer, alone: false, CancellationToken.None);
        if (deriving)
        {
            await SilverLock.SerializeEntityAsync(writer, Entities.Claims, CancellationToken.None);
        }

        // Act: a patient batch wants it alone
        var alone = await BeginAsync();
        var aloneAcquired = SilverLock.AcquireAsync(alone, CancellationToken.None);

        // Assert: it waits until the entity writer commits; then the next entity writer waits for it
        Assert.True(await WaitsOnAdvisoryLockAsync(alone), "a writer alone should wait for the entity writer");
        await CommitAsync(writer);
        Assert.Same(aloneAcquired, await Task.WhenAny(aloneAcquired, Task.Delay(Patience)));

        var next = await BeginAsync();
        var nextAcquired = SilverLock.AcquireAsync(next, alone: false, CancellationToken.None);
        Assert.True(await WaitsOnAdvisoryLockAsync(next), "an entity writer should wait for the writer alone");
        await CommitAsync(alone);
        Assert.Same(nextAcquired, await Task.WhenAny(nextAcquired, Task.Delay(Patience)));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Closing the connections ends their transactions, so no test leaves a lock behind for the next.</summary>
    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task<NpgsqlConnection> BeginAsync()
    {
        var connection = new NpgsqlConnection(services.Postgres);
        _connections.Add(connection);
        await connection.OpenAsync();
        await using var begin = new NpgsqlCommand("BEGIN", connection);
        await begin.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task CommitAsync(NpgsqlConnection connection)
    {
        await using var commit = new NpgsqlCommand("COMMIT", connection);
        await commit.ExecuteNonQueryAsync();
    }

    /// <summary>Whether the connection's server process is (soon) seen waiting on an advisory lock.</summary>
    private async Task<bool> WaitsOnAdvisoryLockAsync(NpgsqlConnection waiter)
    {
        var pid = waiter.ProcessID;
        await using var observer = new NpgsqlConnection(services.Postgres);
        await observer.OpenAsync();
        return await Eventually.TrueAsync(async () =>
        {
            await using var command = new NpgsqlCommand("SELECT wait_event FROM pg_stat_activity WHERE pid = @pid", observer);
            command.Parameters.AddWithValue("pid", pid);
            return await command.ExecuteScalarAsync() is "advisory";
        }, Patience);
    }
}
