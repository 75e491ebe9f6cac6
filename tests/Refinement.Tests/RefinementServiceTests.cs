using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Tests.Support;
using HealthMedallion.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Refinement.Tests;

public sealed class RefinementServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("refinement", Extensions.Schema, "/api/refinement"))
{
    protected override void Configure(ServiceFactory<Program> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        factory.Settings["Refinement:SsnHashKey"] = RefinementPipeline.SsnHashKey;
    }

    [Fact]
    public Task BronzeBatchIngested_PublishedOnTheBus_ReachesItsConsumer()
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<BronzeBatchIngestedConsumer>(new BronzeBatchIngested(id, Entities.Claims, Guid.NewGuid(), 100, 2), id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("too-short")]
    public void Options_WithoutAUsableSsnHashKey_FailValidationNamingTheSetting(string? key)
    {
        // The service's own registrations, without starting it (a failed start may surface as its disposal instead).
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:medallion"] = Isolated.Postgres,
            ["ConnectionStrings:messaging"] = Isolated.RabbitMq,
            ["Refinement:SsnHashKey"] = key,
        });
        builder.AddRefinement();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<RefinementOptions>>().Value);

        Assert.Contains("Refinement:SsnHashKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 32 characters", error.Message, StringComparison.Ordinal);
    }
}
