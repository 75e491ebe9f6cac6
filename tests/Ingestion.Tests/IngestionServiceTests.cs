using HealthMedallion.Contracts;
using HealthMedallion.Ingestion.Landing;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Ingestion.Tests;

public sealed class IngestionServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("ingestion", Extensions.Schema, "/api/ingestion"))
{
    [Fact]
    public Task LandingFileCreated_PublishedOnTheBus_ReachesItsConsumer()
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<LandingFileCreatedConsumer>(
            new LandingFileCreated(id, $"landing/patients/{id}.csv", Entities.Patients, "EHR_SYSTEM", 1234, new string('a', 64)), id);
    }
}
