using HealthMedallion.Contracts;
using HealthMedallion.QualityMonitor.Monitoring;
using HealthMedallion.TestSupport;

namespace HealthMedallion.QualityMonitor.Tests;

public sealed class QualityMonitorServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("quality-monitor", Extensions.Schema, "/api/quality"))
{
    [Fact]
    public Task BronzeBatchIngested_ReachesItsConsumer() =>
        Reaches<BronzeBatchIngestedConsumer>(id => new BronzeBatchIngested(id, Entities.Claims, Guid.NewGuid(), 100, 2));

    [Fact]
    public Task SilverBatchRefined_ReachesItsConsumer() =>
        Reaches<SilverBatchRefinedConsumer>(id => new SilverBatchRefined(id, Entities.Patients, 100, 97, 3));

    [Fact]
    public Task GoldModelUpdated_ReachesItsConsumer() =>
        Reaches<GoldModelUpdatedConsumer>(id => new GoldModelUpdated([id], ["gold.fact_claims"], 12, DateTimeOffset.UtcNow));

    [Fact]
    public Task FeaturesMaterialized_ReachesItsConsumer() =>
        Reaches<FeaturesMaterializedConsumer>(id => new FeaturesMaterialized($"patient_risk_{id}", 12, DateTimeOffset.UtcNow));

    [Fact]
    public Task QualityAlertRaised_ReachesItsConsumer() =>
        Reaches<QualityAlertRaisedConsumer>(id => new QualityAlertRaised(id, AlertSeverity.Warning, "claim_amount_positive", "silver", Entities.Claims, "3 claims with a negative amount"));

    private Task Reaches<TConsumer>(Func<Guid, object> create)
    {
        var id = Guid.NewGuid();
        return AssertReachesConsumerAsync<TConsumer>(create(id), id);
    }
}
