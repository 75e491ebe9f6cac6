using HealthMedallion.Generator.Runs;
using Microsoft.Extensions.DependencyInjection.Extensions;

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

        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<GeneratorSettings>()
            .BindConfiguration("Generator")
            .Configure<IConfiguration>((settings, configuration) => settings.LandingRoot = configuration["Landing:Root"] ?? settings.LandingRoot);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RunStore>();
        builder.Services.AddSingleton<RunWorker>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RunWorker>());
        return builder;
    }
}
