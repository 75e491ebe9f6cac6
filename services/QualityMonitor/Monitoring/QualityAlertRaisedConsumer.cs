using HealthMedallion.Contracts;
using MassTransit;

namespace HealthMedallion.QualityMonitor.Monitoring;

/// <summary>Keeps the alerts raised anywhere in the platform. For now it only records the alert.</summary>
public sealed class QualityAlertRaisedConsumer(ILogger<QualityAlertRaisedConsumer> logger) : IConsumer<QualityAlertRaised>
{
    public Task Consume(ConsumeContext<QualityAlertRaised> context)
    {
        ArgumentNullException.ThrowIfNull(context);

        var alert = context.Message;
        logger.LogInformation(
            "Received QualityAlertRaised: alert {AlertId} ({Severity}) rule {Rule} on {Layer}.{Entity}: {Message}",
            alert.AlertId, alert.Severity, alert.Rule, alert.Layer, alert.Entity, alert.Message);
        return Task.CompletedTask;
    }
}
