using HealthMedallion.ServiceDefaults.Migrations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace HealthMedallion.ServiceDefaults;

/// <summary>What a service's <c>GET /api/&lt;service&gt;/status</c> answers: who it is and what Postgres says about its schema.</summary>
public sealed record ServiceStatus(string Service, string Schema, IReadOnlyList<AppliedSchemaMigration> Migrations)
{
    /// <summary>Reads the applied migrations of <paramref name="schema"/>; 503 problem details when Postgres does not answer.</summary>
    public static async Task<Results<Ok<ServiceStatus>, ProblemHttpResult>> ReadAsync(
        NpgsqlDataSource dataSource, ServiceIdentity identity, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(identity);

        try
        {
            var migrations = await SchemaMigrator.GetAppliedAsync(dataSource, schema, cancellationToken);
            return TypedResults.Ok(new ServiceStatus(identity.Name, schema, migrations));
        }
        catch (NpgsqlException exception)
        {
            return TypedResults.Problem(
                title: "Postgres does not answer.",
                detail: exception.Message,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
