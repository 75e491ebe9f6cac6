namespace HealthMedallion.Contracts;

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}
