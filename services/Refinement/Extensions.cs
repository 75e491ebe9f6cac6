using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Claims;
using HealthMedallion.Refinement.Deidentification;
using HealthMedallion.Refinement.Identity;
using HealthMedallion.Refinement.MedicalEvents;
using HealthMedallion.Refinement.Orphans;
using HealthMedallion.Refinement.Patients;
using MassTransit;

namespace HealthMedallion.Refinement;

public static class Extensions
{
    /// <summary>The schema this service owns and migrates (its migrations also create the restricted <c>pii</c> schema and <c>quality.expectation_results</c>).</summary>
    public const string Schema = "silver";

    public static IHostApplicationBuilder AddRefinement(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("medallion");
        builder.AddSchemaMigrations(Schema, typeof(Extensions).Assembly);

        // Two in flight: one transforms while the other merges, or two claims or events batches merge at once (SilverLock).
        builder.AddMessageBus(bus => bus.AddConsumer<BronzeBatchIngestedConsumer>().Endpoint(endpoint => endpoint.ConcurrentMessageLimit = 2));

        builder.Services.AddOptions<RefinementOptions>().BindConfiguration(RefinementOptions.SectionName)
            .Validate(o => TryKey(o), "Refinement:SsnHashKey must be set to a secret of at least 32 characters (the app host generates a development key).")
            .Validate(o => o.TransformChunkRows > 0, "Refinement:TransformChunkRows must be positive.")
            .Validate(o => o.OrphanGracePeriod >= TimeSpan.Zero, "Refinement:OrphanGracePeriod must not be negative.")
            .Validate(o => o.SweepInterval > TimeSpan.Zero, "Refinement:SweepInterval must be positive.")
            .Validate(o => o.Identity.MaxDeferral >= TimeSpan.Zero, "Refinement:Identity:MaxDeferral must not be negative.")
            .ValidateOnStart();

        builder.Services.AddSingleton<SsnHasher>();
        builder.Services.AddSingleton<IPatientIdentityResolver, ProbabilisticIdentityResolver>();
        builder.Services.AddSingleton<ClaimMerge>();
        builder.Services.AddSingleton<MedicalEventMerge>();
        builder.Services.AddSingleton<ClaimsAndEvents>();
        builder.Services.AddSingleton<PatientResolution>();
        builder.Services.AddSingleton<IEntityRefiner, PatientRefiner>();
        builder.Services.AddSingleton<IEntityRefiner, ClaimRefiner>();
        builder.Services.AddSingleton<IEntityRefiner, MedicalEventRefiner>();
        builder.Services.AddSingleton<BatchRefiner>();
        builder.Services.AddSingleton<SilverEvents>();
        builder.Services.AddSingleton<PendingOrphans>();
        builder.Services.AddSingleton<RefinementSweep>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RefinementSweep>());
        return builder;
    }

    private static bool TryKey(RefinementOptions options)
    {
        try
        {
            options.SsnHashKeyBytes();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
