using System.Buffers.Binary;
using Npgsql;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>A row of <c>bronze.files</c>: one version of a landed file and how far its ingestion got.</summary>
public sealed record IngestedFile(
    Guid FileId,
    string Path,
    string FileName,
    string Entity,
    string? SourceSystem,
    long SizeBytes,
    DateTimeOffset ModifiedAt,
    string Sha256,
    string Status,
    long Rows,
    long RescuedRows,
    int Batches,
    long ResumeOffset,
    string? Error,
    string DiscoveredBy,
    Guid? AnnouncedFileId,
    DateTimeOffset DiscoveredAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt);

public static class FileStatus
{
    public const string Ingesting = "ingesting";
    public const string Ingested = "ingested";
    public const string Rejected = "rejected";

    public static IReadOnlyList<string> All { get; } = [Ingesting, Ingested, Rejected];
}

/// <summary>The checkpoint of every landed file version in <c>bronze.files</c>: claims, progress, rejections, queries.</summary>
public sealed class FileCheckpoints(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        file_id, path, file_name, entity, source_system, size_bytes, modified_at, sha256, status, rows, rescued_rows,
        batches, resume_offset, error, discovered_by, announced_file_id, discovered_at, updated_at, completed_at
        """;

    // A constant mixed into the advisory-lock key of a file, so it cannot meet another use of advisory locks.
    private const long LockNamespace = 0x6272_6f6e_7a65_0000; // "bronze"

    /// <summary>
    /// Records the file version (if no one has) and returns its checkpoint: the same path + size + sha256 claimed
    /// twice, by an event and a scan or by two instances, is one row.
    /// </summary>
    public async Task<IngestedFile> ClaimAsync(LandedFile file, string? sourceSystem, string discoveredBy, Guid? announcedFileId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);

        await using var command = dataSource.CreateCommand($"""
            WITH claimed AS (
                INSERT INTO bronze.files (file_id, path, file_name, entity, source_system, size_bytes, modified_at, sha256, discovered_by, announced_file_id)
                VALUES (@id, @path, @name, @entity, @source, @size, @modified, @sha, @by, @announced)
                ON CONFLICT ON CONSTRAINT files_identity DO NOTHING
                RETURNING {Columns})
            SELECT {Columns} FROM claimed
            UNION ALL
            SELECT {Columns} FROM bronze.files WHERE path = @path AND size_bytes = @size AND sha256 = @sha
            LIMIT 1
            """);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7());
        command.Parameters.AddWithValue("path", file.Path);
        command.Parameters.AddWithValue("name", file.FileName);
        command.Parameters.AddWithValue("entity", file.Entity);
        command.Parameters.AddWithValue("source", (object?)sourceSystem ?? DBNull.Value);
        command.Parameters.AddWithValue("size", file.SizeBytes);
        command.Parameters.AddWithValue("modified", file.ModifiedUtc);
        command.Parameters.AddWithValue("sha", file.Sha256);
        command.Parameters.AddWithValue("by", discoveredBy);
        command.Parameters.AddWithValue("announced", (object?)announcedFileId ?? DBNull.Value);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (await reader.ReadAsync(cancellationToken))
        {
            return Read(reader);
        }

        // Another transaction inserted it between our insert and select (read committed): read it again.
        await reader.DisposeAsync();
        return await FindAsync(file.Path, file.SizeBytes, file.Sha256, cancellationToken)
            ?? throw new InvalidOperationException($"The checkpoint of {file.Path} could not be claimed nor found.");
    }

    public async Task<IngestedFile?> FindAsync(string path, long sizeBytes, string sha256, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM bronze.files WHERE path = @path AND size_bytes = @size AND sha256 = @sha");
        command.Parameters.AddWithValue("path", path);
        command.Parameters.AddWithValue("size", sizeBytes);
        command.Parameters.AddWithValue("sha", sha256);
        return await SingleAsync(command, cancellationToken);
    }

    public async Task<IngestedFile?> GetAsync(Guid fileId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, fileId, forUpdate: false, cancellationToken);
    }

    public static async Task<IngestedFile?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid fileId, bool forUpdate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM bronze.files WHERE file_id = @id{(forUpdate ? " FOR UPDATE" : "")}", connection, transaction);
        command.Parameters.AddWithValue("id", fileId);
        return await SingleAsync(command, cancellationToken);
    }

    /// <summary>Files, newest first, optionally of one status and/or entity.</summary>
    public async Task<IReadOnlyList<IngestedFile>> ListAsync(string? status, string? entity, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM bronze.files
            WHERE (@status::text IS NULL OR status = @status) AND (@entity::text IS NULL OR entity = @entity)
            ORDER BY discovered_at DESC, file_id DESC
            LIMIT @limit
            """);
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("entity", (object?)entity ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var files = new List<IngestedFile>();
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(Read(reader));
        }

        return files;
    }

    /// <summary>Ids of files whose ingestion has not finished (interrupted, or waiting for a retry), oldest first.</summary>
    public async Task<IReadOnlyList<Guid>> UnfinishedAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT file_id FROM bronze.files WHERE status = 'ingesting' ORDER BY discovered_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <summary>The (path, size, modification time) of every recorded file version: what a scan need not hash again.</summary>
    public async Task<HashSet<(string Path, long Size, DateTime Modified)>> KnownAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT path, size_bytes, modified_at FROM bronze.files");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var known = new HashSet<(string, long, DateTime)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            known.Add((reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTime>(2)));
        }

        return known;
    }

    /// <summary>Puts a rejected file back to be ingested (from its start: a rejection never commits rows). False if it is not rejected.</summary>
    public async Task<bool> RetryAsync(Guid fileId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE bronze.files
            SET status = 'ingesting', error = NULL, alert_id = NULL, alert_published_at = NULL, updated_at = now()
            WHERE file_id = @id AND status = 'rejected' AND rows = 0
            """);
        command.Parameters.AddWithValue("id", fileId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Takes the session-level advisory lock of the file on <paramref name="connection"/>: only its holder ingests
    /// the file. It is released by <see cref="UnlockAsync"/> or when the connection dies with its process.
    /// </summary>
    public static async Task<bool> TryLockAsync(NpgsqlConnection connection, Guid fileId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", LockKey(fileId));
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public static async Task UnlockAsync(NpgsqlConnection connection, Guid fileId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
        command.Parameters.AddWithValue("key", LockKey(fileId));
        await command.ExecuteScalarAsync(CancellationToken.None);
    }

    private static long LockKey(Guid fileId)
    {
        Span<byte> bytes = stackalloc byte[16];
        fileId.TryWriteBytes(bytes);
        return LockNamespace ^ BinaryPrimitives.ReadInt64LittleEndian(bytes) ^ BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
    }

    private static async Task<IngestedFile?> SingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static IngestedFile Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.GetInt64(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.GetString(7),
        reader.GetString(8),
        reader.GetInt64(9),
        reader.GetInt64(10),
        reader.GetInt32(11),
        reader.GetInt64(12),
        reader.IsDBNull(13) ? null : reader.GetString(13),
        reader.GetString(14),
        reader.IsDBNull(15) ? null : reader.GetGuid(15),
        reader.GetFieldValue<DateTimeOffset>(16),
        reader.GetFieldValue<DateTimeOffset>(17),
        reader.IsDBNull(18) ? null : reader.GetFieldValue<DateTimeOffset>(18));
}
