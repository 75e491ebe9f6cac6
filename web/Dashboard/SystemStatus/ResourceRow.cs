namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>One line of the System page. Fields the source does not know are <see langword="null"/>.</summary>
public sealed record ResourceRow(
    string Name,
    string Kind,
    string? State,
    string? Url,
    int? Replicas,
    int? Restarts,
    string? Message,
    DateTimeOffset? Since,
    HealthReading Health);

public enum HealthVerdict
{
    Unknown,
    Healthy,
    Unhealthy,
    Unreachable,
}

/// <summary>A health verdict and, in words, where it comes from.</summary>
public sealed record HealthReading(HealthVerdict Verdict, string Detail);

/// <summary>What the System page shows: the resources, where they were read from, and what went wrong.</summary>
public sealed record SystemSnapshot(
    SnapshotSource Source,
    Uri? AppHost,
    string? Problem,
    IReadOnlyList<ResourceRow> Resources,
    DateTimeOffset TakenAt);

public enum SnapshotSource
{
    /// <summary>The app host's list of resources.</summary>
    AppHost,

    /// <summary>The app host could not be asked: the services this dashboard knows, probed one by one.</summary>
    DirectProbes,
}
