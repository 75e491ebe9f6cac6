namespace HealthMedallion.Gateway.Routing;

/// <summary>
/// A project the gateway fronts: the name the app host gives it (its <c>services:&lt;name&gt;</c>
/// configuration key) and the path prefix it owns, or <see langword="null"/> for the web app
/// that takes every path no service owns.
/// </summary>
public sealed record RoutedService(string Name, string? PathPrefix)
{
    public static IReadOnlyList<RoutedService> All { get; } =
    [
        new("generator", "/api/generator"),
        new("ingestion", "/api/ingestion"),
        new("refinement", "/api/refinement"),
        new("gold-modeling", "/api/gold"),
        new("feature-store", "/api/features"),
        new("quality-monitor", "/api/quality"),
        new("dashboard", null),
    ];

    public bool IsCatchAll => PathPrefix is null;

    public string PathPattern => PathPrefix is null ? "/{**catch-all}" : $"{PathPrefix}/{{**rest}}";
}
