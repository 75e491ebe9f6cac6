namespace HealthMedallion.Gateway.Routing;

/// <summary>How the gateway probes every destination (section <c>Gateway:HealthChecks</c>).</summary>
public sealed class HealthCheckSettings
{
    public const string SectionName = "Gateway:HealthChecks";

    public string Path { get; set; } = "/health";

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row before a destination is taken out; one passing probe brings it back.</summary>
    public int ConsecutiveFailures { get; set; } = 2;
}
