namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>One resource as the app host serves it from <c>GET /api/resources</c> (camelCase JSON).</summary>
public sealed record AppHostResource(
    string Name,
    string Kind,
    string State,
    string? Url,
    int Replicas,
    int Restarts,
    int? Pid,
    string? Message,
    DateTimeOffset? Since);
