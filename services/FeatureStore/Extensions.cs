using HealthMedallion.FeatureStore.Materialization;

namespace HealthMedallion.FeatureStore;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates (the offline store; Redis is the online one).</summary>
    public const string Schema = "features";

    public static IHostApplicationBuilder AddFeatureStore(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);
        builder.AddRedisClient("redis");
        builder.AddMessageBus(bus => bus.AddConsumer<GoldModelUpdatedConsumer>());
        return builder;
    }
}
