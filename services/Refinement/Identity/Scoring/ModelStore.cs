using System.Text.Json;
using HealthMedallion.Refinement.Identity.Comparison;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Identity.Scoring;

/// <summary>The estimated models in <c>silver.identity_models</c>: the latest scores every resolution.</summary>
public static class ModelStore
{
    private sealed record FieldParameters(string Name, IReadOnlyList<string> Levels, double[] M, double[] U);

    public static async Task<MatchModel?> LatestAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT estimated_at, prior, fields::text, description FROM silver.identity_models ORDER BY estimated_at DESC LIMIT 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var estimatedAt = reader.GetFieldValue<DateTimeOffset>(0);
        var prior = reader.GetDouble(1);
        var stored = JsonSerializer.Deserialize<List<FieldParameters>>(reader.GetString(2)) ?? [];
        var description = reader.GetString(3);

        // Fields are matched by name: a field added since (or with other levels) starts from the starting values.
        var starting = MatchModel.Starting();
        var m = new double[IdentityFields.Count][];
        var u = new double[IdentityFields.Count][];
        for (var f = 0; f < IdentityFields.Count; f++)
        {
            var field = IdentityFields.All[f];
            var found = stored.FirstOrDefault(s => s.Name == field.Name && s.Levels.SequenceEqual(field.Levels));
            m[f] = found?.M ?? starting.M[f];
            u[f] = found?.U ?? starting.U[f];
        }

        return new MatchModel(prior, m, u, estimatedAt, description);
    }

    public static async Task<MatchModel> SaveAsync(NpgsqlConnection connection, MatchModel model, CancellationToken cancellationToken)
    {
        var fields = IdentityFields.All.Select((f, i) => new FieldParameters(f.Name, f.Levels, model.M[i], model.U[i])).ToList();
        await using var command = new NpgsqlCommand("""
            INSERT INTO silver.identity_models (estimated_at, prior, fields, description)
            VALUES (clock_timestamp(), @prior, @fields, @description)
            RETURNING estimated_at
            """, connection);
        command.Parameters.AddWithValue("prior", model.Prior);
        command.Parameters.Add(new NpgsqlParameter("fields", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(fields) });
        command.Parameters.AddWithValue("description", model.Source);
        var estimatedAt = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return model with { EstimatedAt = new DateTimeOffset(estimatedAt, TimeSpan.Zero) };
    }
}
