namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>Section <c>Dashboard:SystemStatus</c>.</summary>
public sealed class SystemStatusSettings
{
    public const string SectionName = "Dashboard:SystemStatus";

    /// <summary>How long to wait for the app host or a /health probe before calling it unreachable.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the System page asks for a fresh table.</summary>
    public int RefreshSeconds { get; set; } = 5;
}
