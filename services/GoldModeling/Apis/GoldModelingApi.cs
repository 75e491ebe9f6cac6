using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.GoldModeling.Queries;
using HealthMedallion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.GoldModeling.Apis;

/// <summary>What the catalog endpoint says of a mart: its endpoint, grain, filters and meaning.</summary>
public sealed record MartView(string Name, string Path, string Grain, string Filters, string Description);

public static class GoldModelingApi
{
    public static IEndpointRouteBuilder MapGoldModelingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/gold");
        api.MapGet("/status", GetStatusAsync);
        api.MapPost("/rebuild", RebuildAsync);
        api.MapGet("/marts", ListMarts);

        // One endpoint per mart, each with the filters its grain has.
        foreach (var mart in MartCatalog.All)
        {
            api.MapGet($"/marts/{mart.Name}", (IGoldQueryEngine engine, CancellationToken cancellationToken, string? from, string? to, string? region,
                    string? plan, string? ageBand, string? page, string? pageSize) =>
                    QueryAsync(mart, engine, from, to, region, plan, ageBand, page, pageSize, cancellationToken))
                .WithName(mart.Name);
        }

        return app;
    }

    /// <summary>The service's name and the migrations Postgres has recorded for its schema.</summary>
    public static Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> GetStatusAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, CancellationToken cancellationToken) =>
        ServiceStatus.ReadAsync(dataSource, identity, Extensions.Schema, cancellationToken);

    /// <summary>Builds gold again from all of silver (the same tables the incremental path gives) and announces it.</summary>
    public static async Task<Ok<GoldModelUpdatedView>> RebuildAsync(GoldModel model, GoldEvents events, CancellationToken cancellationToken)
    {
        var refresh = await model.RebuildAsync(cancellationToken);
        await events.PublishAsync(refresh, cancellationToken);
        return TypedResults.Ok(new GoldModelUpdatedView(refresh.BatchIds.Count, refresh.TablesRefreshed, refresh.AffectedPatients, refresh.AsOf));
    }

    public static Ok<List<MartView>> ListMarts() =>
        TypedResults.Ok(MartCatalog.All.Select(m => new MartView(m.Name, $"/api/gold/marts/{m.Name}", m.Grain, m.FilterNames, m.Description)).ToList());

    /// <summary>A page of one mart; filters and paging are checked first (400 with the fields at fault).</summary>
    public static async Task<Results<Ok<MartPage>, ValidationProblem>> QueryAsync(
        MartDescription mart, IGoldQueryEngine engine, string? from, string? to, string? region, string? plan, string? ageBand, string? page,
        string? pageSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var request = MartRequest.TryCreate(mart, from, to, region, plan, ageBand, page, pageSize, out var errors);
        return request is null
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(await engine.QueryAsync(mart, request, cancellationToken));
    }
}

/// <summary>What a rebuild answers: how many silver batches it newly recorded, the tables it rebuilt, the patients in gold.</summary>
public sealed record GoldModelUpdatedView(int BatchesRecorded, IReadOnlyList<string> TablesRefreshed, long Patients, DateTimeOffset AsOf);
