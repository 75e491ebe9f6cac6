using System.Diagnostics;
using System.Text;
using HealthMedallion.Contracts;
using HealthMedallion.Ingestion.Bronze;
using HealthMedallion.Ingestion.Csv;
using HealthMedallion.Ingestion.Events;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>What became of a file handed to the ingester.</summary>
public sealed record IngestionOutcome(Guid FileId, string Status, long Rows, long RescuedRows, bool IngestedByAnother = false);

/// <summary>
/// Takes one landed file version into bronze exactly once. The version is claimed in <c>bronze.files</c> (path +
/// size + sha256); only the holder of its advisory lock ingests it; its rows go in by binary COPY in batches,
/// each committed in one transaction with the file's progress (rows, byte offset to resume at) and its
/// <c>bronze.batches</c> row, and published after the commit. A crash loses at most the uncommitted batch, and
/// the next ingester resumes at the recorded offset.
/// </summary>
public sealed class FileIngester(
    NpgsqlDataSource dataSource,
    FileCheckpoints checkpoints,
    BronzeEvents events,
    IOptions<IngestionOptions> options,
    IHostEnvironment environment,
    ILogger<FileIngester> logger)
{
    public const string UnknownSourceSystem = "UNKNOWN";

    private readonly IngestionOptions _options = options.Value;

    /// <summary>Claims <paramref name="file"/> (fingerprinted) and ingests it unless it is already done or another ingester has it.</summary>
    public async Task<IngestionOutcome> IngestAsync(LandedFile file, string discoveredBy, Guid? announcedFileId, string? sourceSystem, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var claimed = await checkpoints.ClaimAsync(file, sourceSystem, discoveredBy, announcedFileId, cancellationToken);
        if (claimed.Status != FileStatus.Ingesting)
        {
            return new IngestionOutcome(claimed.FileId, claimed.Status, claimed.Rows, claimed.RescuedRows);
        }

        return await ResumeAsync(claimed.FileId, file, cancellationToken);
    }

    /// <summary>
    /// Ingests (or goes on ingesting) a claimed file. <paramref name="fingerprint"/> is the version just hashed,
    /// if any; otherwise the file on disk is hashed again, and a file that changed or vanished is rejected.
    /// </summary>
    public async Task<IngestionOutcome> ResumeAsync(Guid fileId, LandedFile? fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await FileCheckpoints.TryLockAsync(connection, fileId, cancellationToken))
        {
            var current = await FileCheckpoints.GetAsync(connection, null, fileId, forUpdate: false, cancellationToken);
            return new IngestionOutcome(fileId, current?.Status ?? FileStatus.Ingesting, current?.Rows ?? 0, current?.RescuedRows ?? 0, IngestedByAnother: true);
        }

        try
        {
            // Read under the lock: a previous holder may have finished it meanwhile.
            var file = await FileCheckpoints.GetAsync(connection, null, fileId, forUpdate: false, cancellationToken)
                ?? throw new InvalidOperationException($"File {fileId} has no checkpoint.");
            if (file.Status != FileStatus.Ingesting)
            {
                return new IngestionOutcome(fileId, file.Status, file.Rows, file.RescuedRows);
            }

            var changed = await VerifyAsync(file, fingerprint, cancellationToken);
            if (changed is not null)
            {
                return await RejectAsync(connection, file, changed, cancellationToken);
            }

            return await IngestRowsAsync(connection, file, cancellationToken);
        }
        finally
        {
            await UnlockAsync(connection, fileId);
        }
    }

    private async Task CancelAsync(NpgsqlRawCopyStream copy)
    {
        try
        {
            await copy.CancelAsync();
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or IOException)
        {
            logger.LogDebug(exception, "Cancelling a COPY failed; its transaction is rolled back anyway");
        }
    }

    private async Task UnlockAsync(NpgsqlConnection connection, Guid fileId)
    {
        try
        {
            await FileCheckpoints.UnlockAsync(connection, fileId);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has released the lock with its session: nothing to do.
            logger.LogDebug(exception, "Could not release the lock of file {FileId}", fileId);
        }
    }

    private static async Task<string?> VerifyAsync(IngestedFile file, LandedFile? fingerprint, CancellationToken cancellationToken)
    {
        if (fingerprint is null)
        {
            if (!File.Exists(file.Path))
            {
                return "the file is no longer in the landing zone";
            }

            fingerprint = await LandedFile.FingerprintAsync(file.Path, file.Entity, cancellationToken);
        }

        return fingerprint.SizeBytes == file.SizeBytes && fingerprint.Sha256 == file.Sha256
            ? null
            : $"the file changed after it was discovered (now {fingerprint.SizeBytes} bytes, sha256 {fingerprint.Sha256}); its new content is a new version";
    }

    private async Task<IngestionOutcome> IngestRowsAsync(NpgsqlConnection connection, IngestedFile file, CancellationToken cancellationToken)
    {
        var table = BronzeTable.For(file.Entity);
        if (table is null)
        {
            return await RejectAsync(connection, file, $"unknown entity '{file.Entity}' (expected one of {string.Join(", ", Entities.All)})", cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        await using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var reader = new CsvRecordReader(stream, _options.MaxRecordBytes);
        await reader.SkipByteOrderMarkAsync(cancellationToken);
        if (!await reader.HasMoreAsync(cancellationToken) || !await reader.ReadAsync(cancellationToken))
        {
            return await RejectAsync(connection, file, "empty file: no header row", cancellationToken);
        }

        var header = BronzeHeader.TryCreate(table, reader, out var rejection);
        if (header is null)
        {
            return await RejectAsync(connection, file, rejection!, cancellationToken);
        }

        if (file.ResumeOffset > 0)
        {
            reader.Seek(file.ResumeOffset);
            logger.LogInformation("Resuming {Path} after row {Rows} (byte {Offset})", file.Path, file.Rows, file.ResumeOffset);
        }

        var rows = file.Rows;
        var rescued = file.RescuedRows;
        var sequence = file.Batches;
        var sourceSystem = file.SourceSystem;
        BronzeRowWriter? writer = null;
        var done = !await reader.HasMoreAsync(cancellationToken);
        do
        {
            var batchId = Guid.CreateVersion7();
            long batchRows = 0, batchRescued = 0;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var locked = await FileCheckpoints.GetAsync(connection, transaction, file.FileId, forUpdate: true, cancellationToken);
            if (locked is null || locked.Status != FileStatus.Ingesting || locked.Rows != rows)
            {
                // Only the lock holder writes, so this means the lock was lost (the connection was replaced): stop, commit nothing.
                throw new InvalidOperationException($"The progress of file {file.FileId} moved under this ingester ({locked?.Rows} rows recorded, {rows} expected).");
            }

            // A file with no data rows (a header only) commits its checkpoint without a COPY.
            if (!done)
            {
                await using (var copy = await connection.BeginRawBinaryCopyAsync(table.CopyCommand, cancellationToken))
                {
                    try
                    {
                        while (batchRows < _options.BatchRows && await reader.ReadAsync(cancellationToken))
                        {
                            if (writer is null)
                            {
                                sourceSystem ??= SourceSystemOf(header, reader);
                                writer = new BronzeRowWriter(header, Lineage(file, sourceSystem));
                            }

                            if (batchRows == 0)
                            {
                                writer.BeginBatch(batchId);
                            }

                            batchRows++;
                            if (writer.Write(reader, rows + batchRows))
                            {
                                batchRescued++;
                            }

                            if (writer.ShouldFlush)
                            {
                                await copy.WriteAsync(writer.Pending, cancellationToken);
                                writer.Flushed();
                            }
                        }

                        if (batchRows > 0)
                        {
                            writer!.EndBatch();
                            await copy.WriteAsync(writer.Pending, cancellationToken);
                            writer.Flushed();
                        }
                    }
                    catch
                    {
                        // Disposing a raw COPY completes it: a failed batch must be cancelled instead (the transaction rolls back too).
                        await CancelAsync(copy);
                        throw;
                    }
                }
            }

            done = !await reader.HasMoreAsync(cancellationToken);
            await CommitBatchAsync(connection, transaction, file, batchId, sequence, rows, batchRows, batchRescued, reader.NextOffset, done, sourceSystem, cancellationToken);
            await transaction.CommitAsync(cancellationToken);

            rows += batchRows;
            rescued += batchRescued;
            if (batchRows > 0)
            {
                sequence++;
                await events.PublishBatchAsync(new BronzeBatchIngested(batchId, file.Entity, file.FileId, batchRows, batchRescued), cancellationToken);
            }
        }
        while (!done);

        logger.LogInformation(
            "Ingested {Path} into {Table}: {Rows} rows ({Rescued} rescued) in {Batches} batches, {ElapsedMs} ms",
            file.Path, table.QualifiedName, rows, rescued, sequence, clock.ElapsedMilliseconds);
        return new IngestionOutcome(file.FileId, FileStatus.Ingested, rows, rescued);
    }

    private static async Task CommitBatchAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IngestedFile file, Guid batchId, int sequence, long rowsBefore,
        long rows, long rescued, long nextOffset, bool done, string? sourceSystem, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (rows > 0)
        {
            var insert = new NpgsqlBatchCommand("""
                INSERT INTO bronze.batches (batch_id, file_id, sequence, entity, first_row, rows, rescued_rows, committed_at)
                VALUES (@batch, @file, @sequence, @entity, @first, @rows, @rescued, clock_timestamp())
                """);
            insert.Parameters.AddWithValue("batch", batchId);
            insert.Parameters.AddWithValue("file", file.FileId);
            insert.Parameters.AddWithValue("sequence", sequence);
            insert.Parameters.AddWithValue("entity", file.Entity);
            insert.Parameters.AddWithValue("first", rowsBefore + 1);
            insert.Parameters.AddWithValue("rows", rows);
            insert.Parameters.AddWithValue("rescued", rescued);
            batch.BatchCommands.Add(insert);
        }

        // clock_timestamp(), not now(): now() is when the transaction began, before the batch's COPY.
        var progress = new NpgsqlBatchCommand("""
            UPDATE bronze.files
            SET rows = rows + @rows, rescued_rows = rescued_rows + @rescued, batches = batches + @batches,
                resume_offset = @offset, source_system = coalesce(source_system, @source),
                status = CASE WHEN @done THEN 'ingested' ELSE 'ingesting' END,
                completed_at = CASE WHEN @done THEN clock_timestamp() END, updated_at = clock_timestamp()
            WHERE file_id = @file
            """);
        progress.Parameters.AddWithValue("rows", rows);
        progress.Parameters.AddWithValue("rescued", rescued);
        progress.Parameters.AddWithValue("batches", rows > 0 ? 1 : 0);
        progress.Parameters.AddWithValue("offset", nextOffset);
        progress.Parameters.AddWithValue("source", (object?)sourceSystem ?? DBNull.Value);
        progress.Parameters.AddWithValue("done", done);
        progress.Parameters.AddWithValue("file", file.FileId);
        batch.BatchCommands.Add(progress);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IngestionOutcome> RejectAsync(NpgsqlConnection connection, IngestedFile file, string reason, CancellationToken cancellationToken)
    {
        var alertId = Guid.CreateVersion7();
        await using (var command = new NpgsqlCommand("""
            UPDATE bronze.files SET status = 'rejected', error = @error, alert_id = @alert, alert_published_at = NULL, updated_at = now(), completed_at = now()
            WHERE file_id = @file
            """, connection))
        {
            command.Parameters.AddWithValue("error", reason);
            command.Parameters.AddWithValue("alert", alertId);
            command.Parameters.AddWithValue("file", file.FileId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        logger.LogWarning("Rejected {Path} ({Entity}): {Reason}", file.Path, file.Entity, reason);
        await events.PublishRejectionAsync(BronzeEvents.RejectionAlert(alertId, file.Entity, file.Path, reason), file.FileId, cancellationToken);
        return new IngestionOutcome(file.FileId, FileStatus.Rejected, file.Rows, file.RescuedRows);
    }

    private FileLineage Lineage(IngestedFile file, string sourceSystem) => new(
        sourceSystem,
        file.FileName,
        file.Path,
        file.SizeBytes,
        file.ModifiedAt.UtcDateTime,
        _options.PipelineEnvironment is { Length: > 0 } configured ? configured : environment.EnvironmentName.ToLowerInvariant());

    /// <summary>A file no event announced says its source system in its rows: the first row's <c>source_system</c>.</summary>
    private static string SourceSystemOf(BronzeHeader header, CsvRecordReader firstRow)
    {
        var column = header.Table.SourceColumns.ToList().IndexOf("source_system");
        var field = column < 0 ? -1 : header.FieldOfColumn[column];
        if (field < 0 || field >= firstRow.FieldCount || firstRow.Defect != CsvDefect.None)
        {
            return UnknownSourceSystem;
        }

        var value = Encoding.UTF8.GetString(firstRow.Field(field)).Trim();
        return value.Length > 0 ? value : UnknownSourceSystem;
    }
}
