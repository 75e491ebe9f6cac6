using System.Text.Json;
using HealthMedallion.Generator.Generation;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Generator.Runs;

/// <summary>The generator schema: runs, the files they wrote (the outbox of their events) and their ground truth.</summary>
public sealed class RunStore(NpgsqlDataSource dataSource)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Queues a run. Its as-of minute is the requested one, or the current minute (the next free one when a run
    /// already has it: file names carry the minute). An increment continues the seed's population. Null when
    /// the requested as-of minute is taken.
    /// </summary>
    public async Task<RunView?> CreateAsync(RunRequest request, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // One creator at a time, so that as-of minutes and increment offsets are settled without races.
        await Execute(connection, "SELECT pg_advisory_xact_lock(hashtext('generator.runs'))", ct);
        var options = request.ToOptions(GenerationOptions.TruncateToMinute(now));
        if (request.AsOf is { } asOf)
        {
            options = options with { AsOf = GenerationOptions.TruncateToMinute(asOf) };
            if (await Scalar<bool>(connection, "SELECT EXISTS (SELECT 1 FROM generator.runs WHERE as_of = @as_of)", ct, ("as_of", options.AsOf)))
            {
                return null;
            }
        }
        else
        {
            var latest = await Scalar<DateTimeOffset?>(connection, "SELECT max(as_of) FROM generator.runs", ct);
            if (latest is { } taken && taken >= options.AsOf)
            {
                options = options with { AsOf = taken.AddMinutes(1) };
            }
        }

        if (request.Increment)
        {
            var population = await Scalar<long>(connection,
                "SELECT coalesce(sum(patients), 0) FROM generator.runs WHERE seed = @seed AND status <> 'failed'", ct, ("seed", options.Seed));
            options = options with
            {
                PatientOffset = (int)Math.Min(population, GenerationOptions.MaxPatients),
                UpdatedPatients = (int)Math.Min(request.UpdatedPatients ?? 200, population),
            };
        }

        var id = Guid.CreateVersion7();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO generator.runs (run_id, kind, status, patients, seed, as_of, options)
            VALUES (@id, @kind, 'queued', @patients, @seed, @as_of, @options)
            """, connection))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("kind", request.Increment ? "increment" : "full");
            insert.Parameters.AddWithValue("patients", options.Patients);
            insert.Parameters.AddWithValue("seed", options.Seed);
            insert.Parameters.AddWithValue("as_of", options.AsOf);
            insert.Parameters.AddWithValue("options", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(options, Json));
            await insert.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<bool> AnyAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await Scalar<bool>(connection, "SELECT EXISTS (SELECT 1 FROM generator.runs)", ct);
    }

    /// <summary>Takes the oldest queued run for this instance (others skip it), or null.</summary>
    public async Task<(Guid RunId, GenerationOptions Options)?> ClaimNextAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE generator.runs SET status = 'running', started_at = now(), heartbeat_at = now(), attempts = attempts + 1, error = NULL
            WHERE run_id = (SELECT run_id FROM generator.runs WHERE status = 'queued' ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING run_id, options::text
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return (reader.GetGuid(0), JsonSerializer.Deserialize<GenerationOptions>(reader.GetString(1), Json)!);
    }

    public async Task HeartbeatAsync(Guid runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE generator.runs SET heartbeat_at = now() WHERE run_id = @id AND status = 'running'");
        command.Parameters.AddWithValue("id", runId);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Runs whose instance died mid-run go back to the queue (they regenerate the same bytes).</summary>
    public async Task<int> RequeueStaleAsync(TimeSpan staleAfter, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE generator.runs SET status = 'queued' WHERE status = 'running' AND heartbeat_at < now() - @stale");
        command.Parameters.AddWithValue("stale", staleAfter);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task RequeueAsync(Guid runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE generator.runs SET status = 'queued' WHERE run_id = @id AND status = 'running'");
        command.Parameters.AddWithValue("id", runId);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Records a landing file (committed before its event is published); returns its id, kept on a re-run.</summary>
    public async Task<Guid> RecordFileAsync(Guid runId, GeneratedFile file, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO generator.files (file_id, run_id, path, entity, source_system, rows, size_bytes, sha256)
            VALUES (@id, @run, @path, @entity, @source, @rows, @size, @sha256)
            ON CONFLICT (path) DO UPDATE SET rows = excluded.rows, size_bytes = excluded.size_bytes, sha256 = excluded.sha256,
                published_at = CASE WHEN generator.files.sha256 = excluded.sha256 THEN generator.files.published_at END
            RETURNING file_id
            """);
        command.Parameters.AddWithValue("id", Guid.CreateVersion7());
        command.Parameters.AddWithValue("run", runId);
        command.Parameters.AddWithValue("path", file.Path);
        command.Parameters.AddWithValue("entity", file.Entity);
        command.Parameters.AddWithValue("source", file.SourceSystem);
        command.Parameters.AddWithValue("rows", file.Rows);
        command.Parameters.AddWithValue("size", file.SizeBytes);
        command.Parameters.AddWithValue("sha256", file.Sha256);
        return (Guid)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task MarkPublishedAsync(Guid fileId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("UPDATE generator.files SET published_at = now() WHERE file_id = @id");
        command.Parameters.AddWithValue("id", fileId);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Files recorded but never announced, oldest first (the outbox relay's work).</summary>
    public async Task<IReadOnlyList<FileView>> UnpublishedAsync(TimeSpan olderThan, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"{FileSelect} WHERE published_at IS NULL AND created_at < now() - @older ORDER BY created_at LIMIT 1000");
        command.Parameters.AddWithValue("older", olderThan);
        return await ReadFilesAsync(command, ct);
    }

    public async Task<IReadOnlyList<string>> FilePathsAsync(Guid runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT path FROM generator.files WHERE run_id = @run");
        command.Parameters.AddWithValue("run", runId);
        var paths = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            paths.Add(reader.GetString(0));
        }

        return paths;
    }

    /// <summary>Loads the run's truth files (streamed, by COPY) and marks it succeeded, in one transaction.</summary>
    public async Task CompleteAsync(Guid runId, GenerationResult result, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Execute(connection, "SELECT set_config('generator.run_id', @run, true)", ct, ("run", runId.ToString()));
        await Execute(connection, "DELETE FROM generator.row_labels WHERE run_id = @run", ct, ("run", runId));
        await Execute(connection, "DELETE FROM generator.identities WHERE run_id = @run", ct, ("run", runId));
        await CopyAsync(connection, "generator.row_labels (file, row_number, entity, source_system, record_key, label, detail)", result.LabelsPath, ct);
        await CopyAsync(connection, "generator.identities (person_id, source_system, source_patient_id, variation, lookalike_kind, lookalike_of)", result.IdentitiesPath, ct);
        await using (var update = new NpgsqlCommand(
            """
            UPDATE generator.runs SET status = 'succeeded', completed_at = now(), rows_written = @rows, bytes_written = @bytes,
                defect_counts = @counts, manifest_path = @manifest
            WHERE run_id = @id
            """, connection))
        {
            update.Parameters.AddWithValue("id", runId);
            update.Parameters.AddWithValue("rows", result.Rows);
            update.Parameters.AddWithValue("bytes", result.Bytes);
            update.Parameters.AddWithValue("counts", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(result.DefectCounts, Json));
            update.Parameters.AddWithValue("manifest", result.ManifestPath);
            await update.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    public async Task FailAsync(Guid runId, string error, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE generator.runs SET status = 'failed', completed_at = now(), error = @error WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        command.Parameters.AddWithValue("error", error);
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<RunView?> GetAsync(Guid runId, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"{RunSelect} WHERE run_id = @id");
        command.Parameters.AddWithValue("id", runId);
        var runs = await ReadRunsAsync(command, withOptions: true, ct);
        if (runs.Count == 0)
        {
            return null;
        }

        await using var files = dataSource.CreateCommand($"{FileSelect} WHERE run_id = @id ORDER BY created_at, path");
        files.Parameters.AddWithValue("id", runId);
        return runs[0] with { Files = await ReadFilesAsync(files, ct) };
    }

    public async Task<IReadOnlyList<RunView>> ListAsync(int limit, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand($"{RunSelect} ORDER BY requested_at DESC LIMIT @limit");
        command.Parameters.AddWithValue("limit", limit);
        return await ReadRunsAsync(command, withOptions: false, ct);
    }

    /// <summary>The seed of the latest successful full run, the population increments continue; null when there is none.</summary>
    public async Task<int?> LatestFullSeedAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await Scalar<int?>(connection,
            "SELECT seed FROM generator.runs WHERE kind = 'full' AND status = 'succeeded' ORDER BY completed_at DESC LIMIT 1", ct);
    }

    /// <summary>When the last run was requested (for the schedule), or null.</summary>
    public async Task<DateTimeOffset?> LastRequestedAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await Scalar<DateTimeOffset?>(connection, "SELECT max(requested_at) FROM generator.runs", ct);
    }

    private const string RunSelect =
        """
        SELECT run_id, kind, status, patients, seed, as_of, requested_at, started_at, completed_at, rows_written, bytes_written,
               defect_counts::text, manifest_path, error, options::text
        FROM generator.runs
        """;

    private const string FileSelect =
        "SELECT file_id, path, entity, source_system, rows, size_bytes, sha256, created_at, published_at FROM generator.files";

    private static async Task<List<RunView>> ReadRunsAsync(NpgsqlCommand command, bool withOptions, CancellationToken ct)
    {
        var runs = new List<RunView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            runs.Add(new RunView(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
                reader.IsDBNull(9) ? null : reader.GetInt64(9),
                reader.IsDBNull(10) ? null : reader.GetInt64(10),
                reader.IsDBNull(11) ? null : JsonSerializer.Deserialize<Dictionary<string, long>>(reader.GetString(11), Json),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13),
                null,
                withOptions ? JsonSerializer.Deserialize<GenerationOptions>(reader.GetString(14), Json) : null));
        }

        return runs;
    }

    private static async Task<IReadOnlyList<FileView>> ReadFilesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var files = new List<FileView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            files.Add(new FileView(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
                reader.GetInt64(5), reader.GetString(6), reader.GetFieldValue<DateTimeOffset>(7),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return files;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string target, string csvPath, CancellationToken ct)
    {
        await using var writer = await connection.BeginTextImportAsync($"COPY {target} FROM STDIN (FORMAT csv, HEADER true)", ct);
        using var reader = new StreamReader(csvPath);
        var buffer = new char[1 << 16];
        int read;
        while ((read = await reader.ReadAsync(buffer, ct)) > 0)
        {
            await writer.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection connection, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync(ct);
        return result switch
        {
            null or DBNull => default!,
            DateTime utc when typeof(T) == typeof(DateTimeOffset?) => (T)(object)new DateTimeOffset(utc, TimeSpan.Zero),
            _ => (T)result,
        };
    }
}
