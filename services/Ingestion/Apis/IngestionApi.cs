using HealthMedallion.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.Ingestion.Apis;

public static class IngestionApi
{
    public static IEndpointRouteBuilder MapIngestionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/ingestion");
        api.MapGet("/status", GetStatusAsync);
        return app;
    }

    /// <summary>The service's name and the migrations Postgres has recorded for its schema.</summary>
    public static Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> GetStatusAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, CancellationToken cancellationToken) =>
        ServiceStatus.ReadAsync(dataSource, identity, Extensions.Schema, cancellationToken);
}
