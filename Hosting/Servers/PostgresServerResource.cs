using HealthMedallion.Hosting.Processes;
using HealthMedallion.Hosting.Resources;
using Npgsql;

namespace HealthMedallion.Hosting.Servers;

/// <summary>
/// A PostgreSQL server run from the Debian binaries in its own data folder, as the 'postgres' user when the
/// host is root (initdb and postgres refuse to run as root). Listens on 127.0.0.1 only, no Unix socket.
/// </summary>
public sealed class PostgresServerResource(string name) : Resource(name), IResourceWithConnectionString
{
    private SupervisedProcess? _process;
    private string? _connectionString;

    public override string Kind => "postgres";

    public int? Port { get; set; }

    /// <summary>Extra server settings (<c>-c name=value</c>), e.g. relaxed durability for test runs.</summary>
    public Dictionary<string, string> Settings { get; } = [];

    public List<PostgresDatabaseResource> Databases { get; } = [];

    /// <summary>True when the connection string is configured: the server runs elsewhere and nothing is started.</summary>
    public bool IsExternal { get; private set; }

    public string? ConnectionString => _connectionString;

    public override string? Url => _connectionString is null ? null : PostgresProbe.Address(_connectionString);

    protected internal override int Restarts => _process?.Restarts ?? 0;

    protected internal override int? Pid => _process?.Pid;

    protected internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        // Configured elsewhere: the server itself, or every database in it (then one of them speaks for the server).
        var configured = context.Configuration.GetConnectionStringOrNull(Name)
            ?? (Databases.Count > 0 && Databases.All(d => context.Configuration.GetConnectionStringOrNull(d.Name) is not null)
                ? context.Configuration.GetConnectionStringOrNull(Databases[0].Name)
                : null);
        if (configured is not null)
        {
            IsExternal = true;
            _connectionString = configured;
            Report(ResourceState.Running, "configured: not started by the host");
            return;
        }

        var bin = ServerBinaries.PostgresBin();
        var port = RunContext.ClaimPort(Port, Name);
        var folder = context.DataFolder(Name);
        var data = Path.Combine(folder, "data");
        var password = context.Secret(Name);
        var runAs = Environment.UserName == "root" ? OperatingSystemUser.Postgres : null;

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            await InitializeAsync(context, bin, folder, data, password, runAs, cancellationToken);
        }

        // A single node, never a primary for replicas or WAL archiving: the WAL only has to bring it back after a crash.
        // At wal_level minimal, a table emptied or created in a transaction is filled without WAL (its files are synced at
        // commit instead), which halves a bulk rebuild's writes; the first change to each such page afterwards logs the
        // whole page, as the first change after any checkpoint does.
        string[] settings =
        [
            "listen_addresses=127.0.0.1", $"port={port}", "unix_socket_directories=", "max_connections=300",
            "shared_buffers=256MB", "max_wal_size=4GB", "wal_level=minimal", "max_wal_senders=0", "logging_collector=off",
            .. Settings.Select(s => $"{s.Key}={s.Value}"),
        ];
        _process = new SupervisedProcess(Name, () => RunAs(runAs, Path.Combine(bin, "postgres"), ["-D", data, .. settings.SelectMany(s => new[] { "-c", s })]) with
        {
            // SIGINT is Postgres's fast shutdown: running transactions are rolled back, no recovery needed next time.
            StopSignal = ProcessTree.SigInt,
        }, context, (state, message) => Report(state, message));
        _connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = password,
            Database = "postgres",
        }.ConnectionString;
        _process.Start();
    }

    protected internal override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) =>
        PostgresProbe.CanQueryAsync(_connectionString, cancellationToken);

    protected internal override async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync();
            process.Dispose();
        }
    }

    private static async Task InitializeAsync(RunContext context, string bin, string folder, string data, string password, OperatingSystemUser? runAs, CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(folder, "initdb.pw");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        if (runAs is { } user)
        {
            user.Own(folder);
        }

        // Collation C: text is ordered by its bytes, which for UTF-8 is the code-point order C.UTF-8 gives too, but
        // compared by memcmp with abbreviated sort keys instead of through strcoll, so that every sort and every b-tree
        // on text (business keys, ids) costs markedly less. Character classes and case mapping stay C.UTF-8's.
        using var log = context.CreateLog("postgres-initdb");
        var initdb = ChildProcess.Start(RunAs(runAs, Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--lc-collate=C", "--no-sync"]), log);
        await initdb.Exited.WaitAsync(cancellationToken);
        File.Delete(passwordFile);
        if (initdb.ExitCode != 0)
        {
            throw new InvalidOperationException($"initdb failed with code {initdb.ExitCode}: {string.Join(" | ", log.Tail(5))}");
        }
    }

    private static ProcessSpec RunAs(OperatingSystemUser? user, string program, string[] arguments) =>
        user is null
            ? new ProcessSpec(program, arguments)
            : new ProcessSpec("setpriv", [.. user.SetprivArguments, "--", program, .. arguments]);
}

/// <summary>A database inside a <see cref="PostgresServerResource"/>, created when missing.</summary>
public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource server) : Resource(name), IResourceWithConnectionString
{
    private string? _connectionString;

    public override string Kind => "postgres-database";

    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Server { get; } = server;

    public string? ConnectionString => _connectionString;

    public override string? Url => Server.Url is { } url ? $"{url}/{DatabaseName}" : null;

    protected internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (context.Configuration.GetConnectionStringOrNull(Name) is { } configured)
        {
            _connectionString = configured;
            return;
        }

        var serverConnection = Server.ConnectionString ?? throw new InvalidOperationException($"'{Server.Name}' has no connection string.");
        await using (var connection = new NpgsqlConnection(serverConnection))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = DatabaseName } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                // Identifiers cannot be bound as parameters; the name is quoted.
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        _connectionString = new NpgsqlConnectionStringBuilder(serverConnection) { Database = DatabaseName }.ConnectionString;
        Report(ResourceState.Running);
    }

    protected internal override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) =>
        PostgresProbe.CanQueryAsync(_connectionString, cancellationToken);
}

internal static class PostgresProbe
{
    public static string Address(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{builder.Host}:{builder.Port}";
    }

    public static async Task<bool> CanQueryAsync(string? connectionString, CancellationToken cancellationToken)
    {
        if (connectionString is null)
        {
            return false;
        }

        try
        {
            // No pooling: a probe must see a server restart, not a pooled connection that is about to fail.
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }
}
