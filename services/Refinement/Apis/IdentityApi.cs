using HealthMedallion.Refinement.Identity.Review;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.Refinement.Apis;

public sealed record ReviewPage(long Total, int Page, int PageSize, IReadOnlyList<ReviewItem> Items);

/// <summary>Who decided (optional): kept with the decision.</summary>
public sealed record ReviewDecision(string? DecidedBy);

/// <summary>The identity review queue: pairs the resolver was unsure about, and a reviewer's decision on each.</summary>
public static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/refinement/identity");
        api.MapGet("/review", ListReviewAsync);
        api.MapPost("/review/{id:long}/accept", (long id, ReviewDecision? decision, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
            DecideAsync(id, IdentityReviewQueue.Accepted, decision, dataSource, cancellationToken));
        api.MapPost("/review/{id:long}/reject", (long id, ReviewDecision? decision, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
            DecideAsync(id, IdentityReviewQueue.Rejected, decision, dataSource, cancellationToken));
        return app;
    }

    /// <summary>Pending pairs, oldest first, a page at a time: the two source records, their match probability, weight and field levels.</summary>
    public static async Task<Results<Ok<ReviewPage>, ValidationProblem>> ListReviewAsync(
        NpgsqlDataSource dataSource, CancellationToken cancellationToken, int page = 1, int pageSize = 100)
    {
        var errors = new Dictionary<string, string[]>();
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

        var (total, items) = await IdentityReviewQueue.ListPendingAsync(dataSource, page, pageSize, cancellationToken);
        return TypedResults.Ok(new ReviewPage(total, page, pageSize, items));
    }

    /// <summary>
    /// Decides a pending pair. Accepted pairs are linked by the next resolution, rejected ones never. Deciding a pair
    /// again the same way changes nothing; the other way is a conflict (decisions are final).
    /// </summary>
    public static async Task<Results<Ok<ReviewItem>, NotFound, Conflict<ReviewItem>>> DecideAsync(
        long id, string status, ReviewDecision? decision, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var (item, changed) = await IdentityReviewQueue.DecideAsync(dataSource, id, status, decision?.DecidedBy, cancellationToken);
        if (item is null)
        {
            return TypedResults.NotFound();
        }

        return changed || item.Status == status ? TypedResults.Ok(item) : TypedResults.Conflict(item);
    }
}
