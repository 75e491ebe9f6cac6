using Npgsql;

namespace HealthMedallion.GoldModeling.Modeling;

/// <summary>
/// What every refresh step needs: the scope it works on and a way to run set-based SQL in the refresh's transaction
/// (or, without one, in the session). A batch scope names one silver batch; the full scope (rebuild) takes all of
/// silver. Steps run the same SQL for both, so that a rebuild gives exactly the tables the incremental path gives.
/// </summary>
public sealed class GoldSql(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid? batchId)
{
    /// <summary>The silver batch refreshed, or null for a full rebuild.</summary>
    public Guid? BatchId { get; } = batchId;

    public bool IsRebuild => BatchId is null;

    /// <summary>
    /// Runs <paramref name="sql"/> with <c>@batch</c> bound to the batch (NULL for a rebuild), and any further
    /// <paramref name="parameters"/>; returns the rows it affected.
    /// </summary>
    public async Task<long> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<long> CountAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(sql, []);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row <paramref name="sql"/> returns.</summary>
    public async Task<List<T>> ReadColumnAsync<T>(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var values = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private NpgsqlCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.Add(new NpgsqlParameter("batch", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)BatchId ?? DBNull.Value });
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
