namespace HealthMedallion.Contracts;

/// <summary>A data-quality rule was breached somewhere in the platform.</summary>
public sealed record QualityAlertRaised(
    Guid AlertId,
    AlertSeverity Severity,
    string Rule,
    string Layer,
    string Entity,
    string Message);
