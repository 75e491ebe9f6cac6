using Microsoft.Extensions.Configuration;

namespace HealthMedallion.Hosting.Resources;

internal static class ConfigurationExtensions
{
    /// <summary>A connection string configured for the resource (environment or appsettings), if any.</summary>
    public static string? GetConnectionStringOrNull(this IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value ? value : null;
}
