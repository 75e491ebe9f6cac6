namespace HealthMedallion.Generator;

public static class Extensions
{
    /// <summary>The one schema this service owns and migrates.</summary>
    public const string Schema = "generator";

    public static IHostApplicationBuilder AddGenerator(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);

        // Consumes nothing: the bus is here to publish LandingFileCreated.
        builder.AddMessageBus();
        return builder;
    }
}
