using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Migrations;

/// <summary>
/// Applies a service's numbered SQL files to its one schema and records them in
/// <c>&lt;schema&gt;.schema_migrations</c> (version, file name, sha256 checksum, applied_at).
/// </summary>
/// <remarks>
/// Every step runs in its own transaction holding <c>pg_advisory_xact_lock</c> keyed by the schema name, and
/// checks what is recorded only once it holds the lock: instances starting together apply each file exactly
/// once, in order, and a crash releases the lock with the connection. A file that fails is rolled back whole.
/// A file runs with <c>search_path</c> set to the schema (then <c>public</c>), so unqualified names land in it.
/// </remarks>
public sealed partial class SchemaMigrator
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IReadOnlyList<SchemaMigration> _migrations;
    private readonly ILogger _logger;
    private readonly string _table;
    private readonly long _lockKey;

    public SchemaMigrator(NpgsqlDataSource dataSource, string schema, IEnumerable<SchemaMigration> migrations, ILogger<SchemaMigrator>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrations);

        Schema = ValidateSchemaName(schema);
        _dataSource = dataSource;
        _migrations = SchemaMigration.InOrder(migrations);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _table = TableOf(Schema);
        _lockKey = LockKeyOf(Schema);
    }

    public string Schema { get; }

    /// <summary>Applies the files not applied yet, in version order; returns those this call applied.</summary>
    /// <exception cref="SchemaMigrationException">A file failed (rolled back), or an applied file has changed since.</exception>
    public async Task<IReadOnlyList<SchemaMigration>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await EnsureHistoryTableAsync(connection, cancellationToken);

        var applied = new List<SchemaMigration>();
        foreach (var migration in _migrations)
        {
            if (await ApplyAsync(connection, migration, cancellationToken))
            {
                applied.Add(migration);
            }
        }

        if (applied.Count == 0)
        {
            _logger.LogInformation("Schema {Schema} is up to date ({Count} migrations applied before)", Schema, _migrations.Count);
        }

        return applied;
    }

    /// <summary>What <c>&lt;schema&gt;.schema_migrations</c> records, in version order (empty when the schema was never migrated).</summary>
    public static async Task<IReadOnlyList<AppliedSchemaMigration>> GetAppliedAsync(
        NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var table = TableOf(ValidateSchemaName(schema));

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection))
        {
            exists.Parameters.AddWithValue("table", table);
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return [];
            }
        }

        await using var command = new NpgsqlCommand(
            $"SELECT version, file_name, checksum, applied_at FROM {table} ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AppliedSchemaMigration>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new AppliedSchemaMigration(
                reader.GetInt32(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    }

    private async Task EnsureHistoryTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        await using (var create = new NpgsqlCommand(
            $"""
            CREATE SCHEMA IF NOT EXISTS "{Schema}";
            CREATE TABLE IF NOT EXISTS {_table} (
                version    integer     PRIMARY KEY,
                file_name  text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """,
            connection,
            transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<bool> ApplyAsync(NpgsqlConnection connection, SchemaMigration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);

        await using (var recorded = new NpgsqlCommand($"SELECT file_name, checksum FROM {_table} WHERE version = @version", connection, transaction))
        {
            recorded.Parameters.AddWithValue("version", migration.Version);
            await using var reader = await recorded.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                var recordedFile = reader.GetString(0);
                var recordedChecksum = reader.GetString(1);
                if (!string.Equals(recordedChecksum, migration.Checksum, StringComparison.Ordinal)
                    || !string.Equals(recordedFile, migration.FileName, StringComparison.Ordinal))
                {
                    throw new SchemaMigrationException(
                        $"Schema migration {migration.FileName} of schema '{Schema}' has changed since it was applied "
                        + $"(recorded as {recordedFile} with checksum {recordedChecksum}, the file now has {migration.Checksum}). "
                        + "Applied migrations must never be edited: add a new file instead.",
                        migration.FileName);
                }

                return false;
            }
        }

        var stopwatch = Stopwatch.StartNew();
        try
        {
            // Unqualified names in a file land in the service's own schema.
            await using (var searchPath = new NpgsqlCommand($"SET LOCAL search_path TO \"{Schema}\", public", connection, transaction))
            {
                await searchPath.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction) { CommandTimeout = 0 })
            {
                await script.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var record = new NpgsqlCommand(
                $"INSERT INTO {_table} (version, file_name, checksum) VALUES (@version, @fileName, @checksum)", connection, transaction))
            {
                record.Parameters.AddWithValue("version", migration.Version);
                record.Parameters.AddWithValue("fileName", migration.FileName);
                record.Parameters.AddWithValue("checksum", migration.Checksum);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (PostgresException exception)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw new SchemaMigrationException(
                $"Schema migration {migration.FileName} of schema '{Schema}' failed and was rolled back: "
                + $"{exception.MessageText} (SQLSTATE {exception.SqlState}{Where(exception)}).",
                migration.FileName,
                exception);
        }

        _logger.LogInformation(
            "Applied schema migration {FileName} to {Schema} in {ElapsedMs} ms", migration.FileName, Schema, stopwatch.ElapsedMilliseconds);
        return true;
    }

    private async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // Waits as long as another instance needs for its migration; the caller's token bounds the wait.
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("key", _lockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Where(PostgresException exception) =>
        exception.Where is { Length: > 0 } where ? "; " + where.ReplaceLineEndings(" ") : string.Empty;

    private static string ValidateSchemaName(string schema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        if (!SchemaNamePattern().IsMatch(schema))
        {
            throw new ArgumentException(
                $"Schema name '{schema}' must be a lower-case Postgres identifier (letters, digits, underscores).", nameof(schema));
        }

        return schema;
    }

    // The schema name is validated to a plain identifier, so quoting it is enough to use it in SQL text.
    private static string TableOf(string schema) => $"\"{schema}\".schema_migrations";

    private static long LockKeyOf(string schema) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("healthmedallion/schema-migrations/" + schema)));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaNamePattern();
}
