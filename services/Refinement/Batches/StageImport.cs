using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Binary COPY of staged rows: synchronous writes, as every row is already in memory and a call per field adds up.</summary>
public static class StageImport
{
    public static async Task WriteAsync<TRow>(
        NpgsqlConnection connection, string copyCommand, IReadOnlyList<TRow> rows, Action<NpgsqlBinaryImporter, TRow> writeRow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writeRow);
        await using var importer = await connection.BeginBinaryImportAsync(copyCommand, cancellationToken);
        foreach (var row in rows)
        {
            importer.StartRow();
            writeRow(importer, row);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    public static void WriteOrNull<T>(this NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(importer);
        if (value is { } present)
        {
            importer.Write(present, type);
        }
        else
        {
            importer.WriteNull();
        }
    }

    /// <summary>Writes the lineage every staged row ends with: content hash, bronze batch, file name and row number.</summary>
    public static void WriteLineage(this NpgsqlBinaryImporter importer, long contentHash, BronzeBatch batch, long rowNumber)
    {
        ArgumentNullException.ThrowIfNull(importer);
        ArgumentNullException.ThrowIfNull(batch);
        importer.Write(contentHash, NpgsqlDbType.Bigint);
        importer.Write(batch.BatchId, NpgsqlDbType.Uuid);
        importer.Write(batch.FileName, NpgsqlDbType.Text);
        importer.Write(rowNumber, NpgsqlDbType.Bigint);
    }
}
