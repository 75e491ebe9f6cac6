namespace HealthMedallion.ServiceDefaults.Telemetry;

/// <summary>
/// The ActivitySources and Meters listened to. No instrumentation packages are available here, but these
/// libraries emit natively, so subscribing by name is enough.
/// </summary>
public static class TelemetrySources
{
    public static IReadOnlyList<string> ActivitySources { get; } =
    [
        "Microsoft.AspNetCore",
        "System.Net.Http",
        "Npgsql",
        "MassTransit",
    ];

    public static IReadOnlyList<string> Meters { get; } =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "System.Net.Http",
        "System.Runtime",
        "Npgsql",
        "MassTransit",
    ];
}
