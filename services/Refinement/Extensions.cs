using HealthMedallion.Refinement.Refining;

namespace HealthMedallion.Refinement;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "silver";

    public static IHostApplicationBuilder AddRefinement(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);
        builder.AddMessageBus(bus => bus.AddConsumer<BronzeBatchIngestedConsumer>());
        return builder;
    }
}
