using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Tests.Support;
using HealthMedallion.TestSupport;

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
    public void Start_WithoutAUsableSsnHashKey_FailsNamingTheSetting(string? key)
    {
        using var factory = new ServiceFactory<Program>(Isolated);
        factory.Settings["Refinement:SsnHashKey"] = key;

        var error = Assert.ThrowsAny<Exception>(() => factory.Server);

        Assert.Contains("Refinement:SsnHashKey", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("at least 32 characters", error.ToString(), StringComparison.Ordinal);
    }
}
