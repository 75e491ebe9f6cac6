using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;

namespace HealthMedallion.Gateway.Routing;

public static class RoutingExtensions
{
    /// <summary>Registers YARP with routes and clusters built in code from the <c>services:*</c> configuration.</summary>
    public static IHostApplicationBuilder AddServiceRoutes(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthCheckSettings>()
            .BindConfiguration(HealthCheckSettings.SectionName)
            .Validate(s => s.Interval > TimeSpan.Zero && s.Timeout > TimeSpan.Zero && s.ConsecutiveFailures > 0,
                "Gateway:HealthChecks needs a positive Interval, Timeout and ConsecutiveFailures.")
            .Validate(s => s.Path.StartsWith('/'), "Gateway:HealthChecks:Path must start with '/'.")
            .ValidateOnStart();

        // Built when first resolved, from the final configuration (including what a test host adds).
        builder.Services.AddSingleton(services =>
        {
            var configuration = services.GetRequiredService<IConfiguration>();
            var health = services.GetRequiredService<IOptions<HealthCheckSettings>>().Value;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServiceRoutes).FullName!);
            var (routes, clusters) = ServiceRoutes.Build(configuration, health, logger);
            return new InMemoryConfigProvider(routes, clusters);
        });
        builder.Services.AddSingleton<IProxyConfigProvider>(services => services.GetRequiredService<InMemoryConfigProvider>());

        builder.Services.AddReverseProxy();
        return builder;
    }
}
