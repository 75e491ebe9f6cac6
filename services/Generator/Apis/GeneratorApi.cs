using HealthMedallion.Generator.Runs;
using HealthMedallion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.Generator.Apis;

public static class GeneratorApi
{
    public static IEndpointRouteBuilder MapGeneratorApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/generator");
        api.MapGet("/status", GetStatusAsync);
        api.MapPost("/runs", CreateRunAsync);
        api.MapGet("/runs", ListRunsAsync);
        api.MapGet("/runs/{id:guid}", GetRunAsync).WithName("GetGeneratorRun");
        return app;
    }

    /// <summary>The service's name and the migrations Postgres has recorded for its schema.</summary>
    public static Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> GetStatusAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, CancellationToken cancellationToken) =>
        ServiceStatus.ReadAsync(dataSource, identity, Extensions.Schema, cancellationToken);

    /// <summary>Queues a run; 202 with its id and where to follow it. The body may be empty (the default data set).</summary>
    public static async Task<Results<AcceptedAtRoute<RunView>, ValidationProblem, ProblemHttpResult>> CreateRunAsync(
        RunRequest? request, RunStore store, RunWorker worker, TimeProvider time, CancellationToken cancellationToken)
    {
        request ??= new RunRequest();
        var now = time.GetUtcNow();
        var errors = request.ToOptions(request.AsOf ?? now).Validate().ToDictionary();
        if (request.UpdatedPatients is { } updated && (updated < 0 || !request.Increment))
        {
            errors["updatedPatients"] = [updated < 0 ? "Must be 0 or more." : "Only an increment run (increment: true) updates existing people."];
        }
        else
        {
            errors.Remove("updatedPatients");
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var run = await store.CreateAsync(request, now, cancellationToken);
        if (run is null)
        {
            return TypedResults.Problem(
                title: "A run for this as-of minute already exists.",
                detail: $"Landing file names carry the as-of minute ({request.AsOf:yyyy-MM-dd HH:mm}); choose another asOf or leave it out.",
                statusCode: StatusCodes.Status409Conflict);
        }

        worker.Wake();
        return TypedResults.AcceptedAtRoute(run, "GetGeneratorRun", new { id = run.RunId });
    }

    public static async Task<Results<Ok<RunView>, NotFound>> GetRunAsync(Guid id, RunStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(id, cancellationToken) is { } run ? TypedResults.Ok(run) : TypedResults.NotFound();

    public static async Task<Results<Ok<IReadOnlyList<RunView>>, ValidationProblem>> ListRunsAsync(RunStore store, CancellationToken cancellationToken, int limit = 50)
    {
        if (limit is < 1 or > 1000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Must be between 1 and 1000."] });
        }

        return TypedResults.Ok(await store.ListAsync(limit, cancellationToken));
    }
}
