using System.Reflection;
using HealthMedallion.ServiceDefaults.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class SchemaMigrationExtensions
{
    /// <summary>
    /// Applies the <c>Schema/NNN_*.sql</c> files embedded in <paramref name="assembly"/> to <paramref name="schema"/>
    /// while the host starts (before the server and the bus start). Needs <c>AddNpgsqlDataSource</c>.
    /// </summary>
    public static TBuilder AddSchemaMigrations<TBuilder>(this TBuilder builder, string schema, Assembly assembly, string folder = "Schema")
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);

        return builder.AddSchemaMigrations(schema, SchemaMigration.FromAssembly(assembly, folder));
    }

    /// <summary>Applies the given migrations to <paramref name="schema"/> while the host starts.</summary>
    public static TBuilder AddSchemaMigrations<TBuilder>(this TBuilder builder, string schema, IEnumerable<SchemaMigration> migrations)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        ArgumentNullException.ThrowIfNull(migrations);

        var ordered = SchemaMigration.InOrder(migrations);

        // A factory registration, not AddHostedService: that one keeps a single instance per type, and a
        // host may migrate more than one schema.
        builder.Services.AddSingleton<IHostedService>(services => new SchemaMigrationRunner(services, schema, ordered));
        return builder;
    }
}
