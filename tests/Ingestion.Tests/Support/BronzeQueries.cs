using HealthMedallion.Ingestion.Landing;
using HealthMedallion.TestSupport;
using Npgsql;

namespace HealthMedallion.Ingestion.Tests.Support;

/// <summary>What bronze holds, read straight from Postgres.</summary>
public sealed class BronzeQueries(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<object?[]>> RowsAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>The checkpoints of every version recorded for <paramref name="path"/>.</summary>
    public async Task<List<(Guid FileId, string Status, long Rows, long Rescued, string? Error)>> FilesAsync(string path)
    {
        var rows = await RowsAsync("SELECT file_id, status, rows, rescued_rows, error FROM bronze.files WHERE path = @path ORDER BY discovered_at", ("path", path));
        return rows.Select(r => ((Guid)r[0]!, (string)r[1]!, (long)r[2]!, (long)r[3]!, (string?)r[4])).ToList();
    }

    /// <summary>Waits until <paramref name="path"/> has a finished (ingested or rejected) version and returns it.</summary>
    public async Task<(Guid FileId, string Status, long Rows, long Rescued, string? Error)> FinishedAsync(string path, TimeSpan? patience = null)
    {
        (Guid, string, long, long, string?)? finished = null;
        var done = await Eventually.TrueAsync(
            async () =>
            {
                var files = await FilesAsync(path);
                finished = files.Count > 0 && files[^1].Status != FileStatus.Ingesting ? files[^1] : null;
                return finished is not null;
            },
            patience ?? TimeSpan.FromSeconds(30));
        Assert.True(done, $"{path} was not ingested in time");
        return finished!.Value;
    }

    public Task<long> CountAsync(string table, string path) =>
        ScalarAsync<long>($"SELECT count(*) FROM bronze.{table} WHERE _file_path = @path", ("path", path));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
