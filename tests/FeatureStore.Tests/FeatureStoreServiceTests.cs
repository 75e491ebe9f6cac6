using HealthMedallion.Contracts;
using HealthMedallion.FeatureStore.Materialization;
using HealthMedallion.TestSupport;

namespace HealthMedallion.FeatureStore.Tests;

public sealed class FeatureStoreServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("feature-store", Extensions.Schema, "/api/features"))
{
    [Fact]
    public Task GoldModelUpdated_PublishedOnTheBus_ReachesItsConsumer()
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<GoldModelUpdatedConsumer>(new GoldModelUpdated([id], ["gold.dim_patients"], 12, DateTimeOffset.UtcNow), id);
    }
}
