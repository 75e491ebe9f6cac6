using HealthMedallion.Contracts;
using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.TestSupport;

namespace HealthMedallion.GoldModeling.Tests;

public sealed class GoldModelingServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("gold-modeling", Extensions.Schema, "/api/gold"))
{
    [Fact]
    public Task SilverBatchRefined_PublishedOnTheBus_ReachesItsConsumer()
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<SilverBatchRefinedConsumer>(new SilverBatchRefined(id, Entities.Patients, 100, 97, 3), id);
    }
}
