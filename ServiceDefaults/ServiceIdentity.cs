using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace HealthMedallion.ServiceDefaults;

/// <summary>
/// Who this process is: the name it reports in telemetry, uses as its Postgres application name
/// and puts in front of its queue names.
/// </summary>
/// <param name="Name">Kebab-case service name, e.g. <c>quality-monitor</c>.</param>
public sealed record ServiceIdentity(string Name)
{
    /// <summary>
    /// <c>OTEL_SERVICE_NAME</c> when set (the app host sets it), else the application name without its
    /// <c>HealthMedallion.</c> prefix in kebab case (<c>HealthMedallion.QualityMonitor</c> -> <c>quality-monitor</c>).
    /// </summary>
    public static ServiceIdentity From(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);

        var configured = configuration["OTEL_SERVICE_NAME"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new ServiceIdentity(configured.Trim());
        }

        var applicationName = environment.ApplicationName;
        var lastDot = applicationName.LastIndexOf('.');
        var shortName = lastDot >= 0 ? applicationName[(lastDot + 1)..] : applicationName;
        return new ServiceIdentity(ToKebabCase(shortName.Length > 0 ? shortName : "service"));
    }

    /// <summary>The same name in PascalCase (<c>quality-monitor</c> -> <c>QualityMonitor</c>).</summary>
    public string PascalCaseName
    {
        get
        {
            var result = new StringBuilder(Name.Length);
            var upperNext = true;
            foreach (var c in Name)
            {
                if (!char.IsLetterOrDigit(c))
                {
                    upperNext = true;
                    continue;
                }

                result.Append(upperNext ? char.ToUpperInvariant(c) : c);
                upperNext = false;
            }

            return result.ToString();
        }
    }

    internal static ServiceIdentity Register(IHostApplicationBuilder builder)
    {
        var identity = From(builder.Configuration, builder.Environment);
        builder.Services.TryAddSingleton(identity);
        return identity;
    }

    private static string ToKebabCase(string name)
    {
        var result = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var startsWord = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (previousIsLowerOrDigit || startsWord)
                {
                    result.Append('-');
                }

                result.Append(char.ToLowerInvariant(c));
            }
            else if (c is '_' or ' ' or '.')
            {
                result.Append('-');
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
