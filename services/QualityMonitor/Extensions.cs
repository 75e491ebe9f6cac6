using HealthMedallion.QualityMonitor.Monitoring;

namespace HealthMedallion.QualityMonitor;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "quality";

    public static IHostApplicationBuilder AddQualityMonitor(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);
        builder.AddMessageBus(bus =>
        {
            bus.AddConsumer<BronzeBatchIngestedConsumer>();
            bus.AddConsumer<SilverBatchRefinedConsumer>();
            bus.AddConsumer<GoldModelUpdatedConsumer>();
            bus.AddConsumer<FeaturesMaterializedConsumer>();
            bus.AddConsumer<QualityAlertRaisedConsumer>();
        });
        return builder;
    }
}
