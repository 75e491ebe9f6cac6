namespace HealthMedallion.GoldModeling.Tests.Support;

/// <summary>A pipeline with a generated data set of <see cref="Patients"/> patients landed and modeled into gold, shared by a test class.</summary>
public sealed class DefaultDataSet : IAsyncLifetime
{
    public const int Patients = 3_000;

    public GoldPipeline Pipeline { get; } = new();

    public async Task InitializeAsync()
    {
        await Pipeline.InitializeAsync();
        var generated = await Pipeline.GenerateAsync(Patients, seed: 11);
        await Pipeline.LandAsync(generated.Files.Select(f => f.Path));
    }

    public Task DisposeAsync() => Pipeline.DisposeAsync();
}
