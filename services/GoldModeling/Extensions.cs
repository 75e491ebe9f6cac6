using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.GoldModeling.Queries;
using MassTransit;

namespace HealthMedallion.GoldModeling;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "gold";

    public static IHostApplicationBuilder AddGoldModeling(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);

        // Refreshes are serialized by an advisory lock anyway: one at a time per instance keeps the others' connections free.
        builder.AddMessageBus(bus => bus.AddConsumer<SilverBatchRefinedConsumer>().Endpoint(endpoint => endpoint.ConcurrentMessageLimit = 1));

        builder.Services.AddOptions<GoldModelingOptions>().BindConfiguration(GoldModelingOptions.SectionName)
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "GoldModeling:SweepInterval must be positive.")
            .Validate(o => o.CatchUpAfter >= TimeSpan.Zero, "GoldModeling:CatchUpAfter must not be negative.")
            .ValidateOnStart();

        builder.Services.AddSingleton<GoldModel>();
        builder.Services.AddSingleton<GoldEvents>();
        builder.Services.AddSingleton<GoldSweep>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GoldSweep>());
        builder.Services.AddSingleton<IGoldQueryEngine, PostgresGoldQueryEngine>();
        return builder;
    }
}
