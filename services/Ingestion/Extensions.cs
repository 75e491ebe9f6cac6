using HealthMedallion.Ingestion.Events;
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

        builder.Services.AddOptions<LandingOptions>().BindConfiguration(LandingOptions.SectionName);
        builder.Services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName)
            .Validate(o => o.BatchRows > 0, "Ingestion:BatchRows must be positive.");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<FileCheckpoints>();
        builder.Services.AddSingleton<BronzeEvents>();
        builder.Services.AddSingleton<FileIngester>();

        // Discovery by scan and the outbox relay.
        builder.Services.AddSingleton<LandingScanner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<LandingScanner>());
        builder.Services.AddHostedService<BronzeEventRelay>();
        return builder;
    }
}
