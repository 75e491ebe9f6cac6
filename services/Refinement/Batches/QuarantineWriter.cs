using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Writes the rows a batch's <c>drop</c> expectations rejected into <c>silver.quarantine</c> by binary COPY.</summary>
public static class QuarantineWriter
{
    public static async Task WriteAsync(NpgsqlConnection connection, BronzeBatch batch, IReadOnlyList<QuarantinedRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }

        await using var importer = await connection.BeginBinaryImportAsync("""
            COPY silver.quarantine (entity, _batch_id, _file_name, _row_number, source_system, business_key, failed_rules)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(batch.Entity, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(batch.BatchId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(batch.FileName, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(row.RowNumber, NpgsqlDbType.Bigint, cancellationToken);
            await importer.WriteAsync(row.SourceSystem, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(row.BusinessKey, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(row.FailedRules, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }
}
