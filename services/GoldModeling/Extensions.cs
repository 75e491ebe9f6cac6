using HealthMedallion.GoldModeling.Modeling;

namespace HealthMedallion.GoldModeling;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "gold";

    public static IHostApplicationBuilder AddGoldModeling(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);
        builder.AddMessageBus(bus => bus.AddConsumer<SilverBatchRefinedConsumer>());
        return builder;
    }
}
