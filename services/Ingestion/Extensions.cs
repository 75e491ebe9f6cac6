using HealthMedallion.Ingestion.Landing;

namespace HealthMedallion.Ingestion;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "bronze";

    public static IHostApplicationBuilder AddIngestion(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);
        builder.AddMessageBus(bus => bus.AddConsumer<LandingFileCreatedConsumer>());
        return builder;
    }
}
