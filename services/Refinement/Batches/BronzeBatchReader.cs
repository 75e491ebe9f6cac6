using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Reads a bronze batch: its checkpoint, and its rows in one binary COPY (the BRIN index on _batch_id finds them).</summary>
public static class BronzeBatchReader
{
    /// <summary>The batch as ingestion recorded it, or null when bronze has no such batch.</summary>
    public static async Task<BronzeBatch?> FindAsync(NpgsqlConnection connection, Guid batchId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("""
            SELECT b.entity, b.file_id, f.file_name, coalesce(f.source_system, ''), b.rows, b.committed_at
            FROM bronze.batches b JOIN bronze.files f USING (file_id)
            WHERE b.batch_id = @batch
            """, connection);
        command.Parameters.AddWithValue("batch", batchId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new BronzeBatch(batchId, reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4),
            reader.GetFieldValue<DateTime>(5));
    }

    /// <summary>The batch's rows in row-number order, with the given source columns (blank text read as null) and any record error ingestion noted.</summary>
    public static async Task<List<BronzeRow>> ReadRowsAsync(
        NpgsqlConnection connection, BronzeBatch batch, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(columns);

        // COPY takes no parameters; the batch id is a Guid and the table and columns are our own constants.
        var select = $"""
            COPY (SELECT _row_number, _rescued_data->>'_error', {string.Join(", ", columns.Select(c => '"' + c + '"'))}
                  FROM bronze.{batch.Entity} WHERE _batch_id = '{batch.BatchId:D}' ORDER BY _row_number)
            TO STDOUT (FORMAT BINARY)
            """;
        var rows = new List<BronzeRow>((int)Math.Min(batch.Rows, 1_000_000));
        await using var export = await connection.BeginBinaryExportAsync(select, cancellationToken);

        // Synchronous reads from here: the rows arrive buffered, and an awaited call per field costs more than the field.
        while (export.StartRow() >= 0)
        {
            var rowNumber = export.Read<long>(NpgsqlDbType.Bigint);
            string? recordError = null;
            if (export.IsNull)
            {
                export.Skip();
            }
            else
            {
                recordError = export.Read<string>(NpgsqlDbType.Text);
            }

            var values = new string?[columns.Count];
            for (var i = 0; i < values.Length; i++)
            {
                if (export.IsNull)
                {
                    export.Skip();
                    continue;
                }

                var value = export.Read<string>(NpgsqlDbType.Text);
                values[i] = string.IsNullOrWhiteSpace(value) ? null : value;
            }

            rows.Add(new BronzeRow(rowNumber, values, recordError));
            cancellationToken.ThrowIfCancellationRequested();
        }

        return rows;
    }
}
