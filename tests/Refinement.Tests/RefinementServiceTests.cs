using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Refinement.Tests;

public sealed class RefinementServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("refinement", Extensions.Schema, "/api/refinement"))
{
    [Fact]
    public Task BronzeBatchIngested_PublishedOnTheBus_ReachesItsConsumer()
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<BronzeBatchIngestedConsumer>(new BronzeBatchIngested(id, Entities.Claims, Guid.NewGuid(), 100, 2), id);
    }
}
