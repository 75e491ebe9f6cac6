using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.Refinement.Apis;

/// <summary>A quarantined row as the API shows it: where it is in bronze and what it failed, never its values.</summary>
public sealed record QuarantinedRowView(
    string Entity, Guid BatchId, string FileName, long RowNumber, string SourceSystem, string? BusinessKey, IReadOnlyList<string> FailedRules,
    DateTimeOffset QuarantinedAt);

public sealed record QuarantinePage(long Total, int Page, int PageSize, IReadOnlyList<QuarantinedRowView> Rows);

public static class RefinementApi
{
    public static IEndpointRouteBuilder MapRefinementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/refinement");
        api.MapGet("/status", GetStatusAsync);
        api.MapGet("/batches", ListBatchesAsync);
        api.MapGet("/batches/{id:guid}", GetBatchAsync);
        api.MapGet("/quarantine", ListQuarantineAsync);
        api.MapGet("/expectations", ListExpectations);
        return app;
    }

    /// <summary>The service's name and the migrations Postgres has recorded for its schema.</summary>
    public static Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> GetStatusAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, CancellationToken cancellationToken) =>
        ServiceStatus.ReadAsync(dataSource, identity, Extensions.Schema, cancellationToken);

    /// <summary>Refined and failed batches, newest first, with where their rows went; <c>entity</c> and <c>status</c> filter them.</summary>
    public static async Task<Results<Ok<List<SilverBatch>>, ValidationProblem>> ListBatchesAsync(
        NpgsqlDataSource dataSource, CancellationToken cancellationToken, string? entity = null, string? status = null, int limit = 100)
    {
        var errors = new Dictionary<string, string[]>();
        CheckEntity(entity, errors);
        if (status is not null and not (SilverBatch.Refined or SilverBatch.Failed))
        {
            errors["status"] = [$"status must be {SilverBatch.Refined} or {SilverBatch.Failed}."];
        }

        if (limit is < 1 or > 1000)
        {
            errors["limit"] = ["limit must be between 1 and 1000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var command = dataSource.CreateCommand($"""
            SELECT {SilverBatch.SelectColumns} FROM silver.batches
            WHERE (@entity::text IS NULL OR entity = @entity) AND (@status::text IS NULL OR status = @status)
            ORDER BY refined_at DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("entity", (object?)entity ?? DBNull.Value);
        command.Parameters.AddWithValue("status", (object?)status ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", limit);
        var batches = new List<SilverBatch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            batches.Add(SilverBatch.Read(reader));
        }

        return TypedResults.Ok(batches);
    }

    public static async Task<Results<Ok<SilverBatch>, NotFound>> GetBatchAsync(Guid id, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await BatchLedger.FindAsync(connection, id, cancellationToken) is { } batch ? TypedResults.Ok(batch) : TypedResults.NotFound();
    }

    /// <summary>Quarantined rows, newest first, a page at a time; <c>entity</c> and <c>rule</c> (an expectation name) filter them.</summary>
    public static async Task<Results<Ok<QuarantinePage>, ValidationProblem>> ListQuarantineAsync(
        NpgsqlDataSource dataSource, BatchRefiner refiner, CancellationToken cancellationToken,
        string? entity = null, string? rule = null, int page = 1, int pageSize = 100)
    {
        var errors = new Dictionary<string, string[]>();
        CheckEntity(entity, errors);
        if (rule is not null && !Describe(refiner).Any(e => e.Name == rule && (entity is null || e.Entity == entity)))
        {
            errors["rule"] = [$"rule '{rule}' is not an expectation{(entity is null ? "" : " of " + entity)}; GET /api/refinement/expectations lists them."];
        }

        if (page < 1)
        {
            errors["page"] = ["page must be 1 or more."];
        }

        if (pageSize is < 1 or > 1000)
        {
            errors["pageSize"] = ["pageSize must be between 1 and 1000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await using var command = dataSource.CreateCommand("""
            SELECT count(*) FROM silver.quarantine
            WHERE (@entity::text IS NULL OR entity = @entity) AND (@rule::text IS NULL OR failed_rules @> ARRAY[@rule::text]);

            SELECT entity, _batch_id, _file_name, _row_number, source_system, business_key, failed_rules, quarantined_at
            FROM silver.quarantine
            WHERE (@entity::text IS NULL OR entity = @entity) AND (@rule::text IS NULL OR failed_rules @> ARRAY[@rule::text])
            ORDER BY quarantined_at DESC, _batch_id, _row_number
            LIMIT @limit OFFSET @offset;
            """);
        command.Parameters.AddWithValue("entity", (object?)entity ?? DBNull.Value);
        command.Parameters.AddWithValue("rule", (object?)rule ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", pageSize);
        command.Parameters.AddWithValue("offset", (long)(page - 1) * pageSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var rows = new List<QuarantinedRowView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new QuarantinedRowView(reader.GetString(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<string[]>(6), reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return TypedResults.Ok(new QuarantinePage(total, page, pageSize, rows));
    }

    /// <summary>Every declared expectation: entity, name, severity and the rule in words.</summary>
    public static Ok<List<ExpectationDescription>> ListExpectations(BatchRefiner refiner) => TypedResults.Ok(Describe(refiner));

    private static List<ExpectationDescription> Describe(BatchRefiner refiner) =>
        [.. refiner.Refiners.SelectMany(r => r.Expectations).OrderBy(e => Entities.All.ToList().IndexOf(e.Entity))];

    private static void CheckEntity(string? entity, Dictionary<string, string[]> errors)
    {
        if (entity is not null && !Entities.All.Contains(entity))
        {
            errors["entity"] = [$"entity must be one of {string.Join(", ", Entities.All)}."];
        }
    }
}
