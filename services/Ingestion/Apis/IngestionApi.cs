using HealthMedallion.Contracts;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.Ingestion.Apis;

public sealed record IngestionStats(
    long Files, long Ingesting, long Ingested, long Rejected, long Rows, long RescuedRows, long Batches, long UnpublishedBatches,
    IReadOnlyList<EntityStats> Entities);

public sealed record EntityStats(string Entity, long Files, long Ingested, long Rejected, long Rows, long RescuedRows, DateTimeOffset? LastIngestedAt);

public static class IngestionApi
{
    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/ingestion");
        api.MapGet("/status", GetStatusAsync);
        api.MapGet("/files", ListFilesAsync);
        api.MapGet("/files/{id:guid}", GetFileAsync);
        api.MapPost("/files/{id:guid}/retry", RetryFileAsync);
        api.MapGet("/stats", GetStatsAsync);
        return app;
    }

    /// <summary>The service's name and the migrations Postgres has recorded for its schema.</summary>
    public static Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> GetStatusAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, CancellationToken cancellationToken) =>
        ServiceStatus.ReadAsync(dataSource, identity, Extensions.Schema, cancellationToken);

    /// <summary>Landed file versions, newest first; <c>status</c> (ingesting, ingested, rejected) and <c>entity</c> filter them.</summary>
    public static async Task<Results<Ok<IReadOnlyList<IngestedFile>>, ValidationProblem>> ListFilesAsync(
        FileCheckpoints checkpoints, CancellationToken cancellationToken, string? status = null, string? entity = null, int limit = 100)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !FileStatus.All.Contains(status))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", FileStatus.All)}."];
        }

        if (entity is not null && !Entities.All.Contains(entity))
        {
            errors["entity"] = [$"entity must be one of {string.Join(", ", Entities.All)}."];
        }

        if (limit is < 1 or > 1000)
        {
            errors["limit"] = ["limit must be between 1 and 1000."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await checkpoints.ListAsync(status, entity, limit, cancellationToken));
    }

    public static async Task<Results<Ok<IngestedFile>, NotFound>> GetFileAsync(Guid id, FileCheckpoints checkpoints, CancellationToken cancellationToken) =>
        await checkpoints.GetAsync(id, cancellationToken) is { } file ? TypedResults.Ok(file) : TypedResults.NotFound();

    /// <summary>Puts a rejected file back to be ingested (by the next scan, started now); 409 when the file is not rejected.</summary>
    public static async Task<Results<Accepted<IngestedFile>, NotFound, ProblemHttpResult>> RetryFileAsync(
        Guid id, FileCheckpoints checkpoints, LandingScanner scanner, CancellationToken cancellationToken)
    {
        var file = await checkpoints.GetAsync(id, cancellationToken);
        if (file is null)
        {
            return TypedResults.NotFound();
        }

        if (!await checkpoints.RetryAsync(id, cancellationToken))
        {
            return TypedResults.Problem(title: "Only a rejected file can be retried.", detail: $"File {id} is {file.Status}.", statusCode: StatusCodes.Status409Conflict);
        }

        scanner.Nudge();
        return TypedResults.Accepted($"/api/ingestion/files/{id}", await checkpoints.GetAsync(id, cancellationToken) ?? file);
    }

    public static async Task<Ok<IngestionStats>> GetStatsAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT entity, count(*), count(*) FILTER (WHERE status = 'ingesting'), count(*) FILTER (WHERE status = 'ingested'),
                   count(*) FILTER (WHERE status = 'rejected'), coalesce(sum(rows), 0)::bigint, coalesce(sum(rescued_rows), 0)::bigint,
                   coalesce(sum(batches), 0)::bigint, max(completed_at) FILTER (WHERE status = 'ingested')
            FROM bronze.files GROUP BY entity ORDER BY entity;
            SELECT count(*) FROM bronze.batches WHERE published_at IS NULL;
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entities = new List<EntityStats>();
        long files = 0, ingesting = 0, ingested = 0, rejected = 0, rows = 0, rescued = 0, batches = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            files += reader.GetInt64(1);
            ingesting += reader.GetInt64(2);
            ingested += reader.GetInt64(3);
            rejected += reader.GetInt64(4);
            rows += reader.GetInt64(5);
            rescued += reader.GetInt64(6);
            batches += reader.GetInt64(7);
            entities.Add(new EntityStats(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8)));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var unpublished = reader.GetInt64(0);
        return TypedResults.Ok(new IngestionStats(files, ingesting, ingested, rejected, rows, rescued, batches, unpublished, entities));
    }
}
