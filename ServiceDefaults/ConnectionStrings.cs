using Microsoft.Extensions.Configuration;

namespace HealthMedallion.ServiceDefaults;

internal static class ConnectionStrings
{
    public static string GetRequired(IConfiguration configuration, string name)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"The connection string 'ConnectionStrings:{name}' is not configured. Set it in configuration, "
                + $"e.g. the environment variable ConnectionStrings__{name} (the app host sets it for every referenced resource).");
        }

        return value;
    }
}
