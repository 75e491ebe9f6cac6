using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Dashboard.SystemStatus;

public static class SystemStatusExtensions
{
    public static IHostApplicationBuilder AddSystemStatus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SystemStatusSettings>()
            .BindConfiguration(SystemStatusSettings.SectionName)
            .Validate(s => s.Timeout > TimeSpan.Zero && s.RefreshSeconds > 0, "Dashboard:SystemStatus needs a positive Timeout and RefreshSeconds.")
            .ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ServiceDirectory>();
        builder.Services.AddHttpClient<AppHostClient>(ConfigureShortTimeout).ConfigureAdditionalHttpMessageHandlers(WithoutRetries);
        builder.Services.AddHttpClient<HealthProbe>(ConfigureShortTimeout).ConfigureAdditionalHttpMessageHandlers(WithoutRetries);
        builder.Services.AddTransient<SystemStatusReader>();
        return builder;
    }

    public static IEndpointRouteBuilder MapSystemStatusApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/system/resources", GetResourcesFragment)
            .WithName("GetSystemResourcesFragment")
            .WithSummary("The System page's resource table as an HTML fragment, for htmx polling.");
        return app;
    }

    public static async Task<RazorComponentResult<ResourceTable>> GetResourcesFragment(SystemStatusReader reader, HttpContext context)
    {
        var snapshot = await reader.ReadAsync(context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<ResourceTable>(new Dictionary<string, object?> { [nameof(ResourceTable.Snapshot)] = snapshot });
    }

    // A status page reports what it sees: the default retry handler would hide a 503 or a refused connection
    // behind retries and spend the short timeout on them.
    private static void WithoutRetries(IList<DelegatingHandler> handlers, IServiceProvider services) => handlers.Clear();

    private static void ConfigureShortTimeout(IServiceProvider services, HttpClient http) =>
        http.Timeout = services.GetRequiredService<IOptions<SystemStatusSettings>>().Value.Timeout;
}
