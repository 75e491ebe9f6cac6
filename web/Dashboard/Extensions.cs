namespace HealthMedallion.Dashboard;

public static class Extensions
{
    /// <summary>
    /// Razor components with static server rendering only: the interactive render modes need the Blazor
    /// browser script, which cannot be restored here (shared DEPENDENCIES.md).
    /// </summary>
    public static WebApplicationBuilder AddDashboardPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();

        // The app host runs the built dll: serve wwwroot (and the npm files copied into it) through the
        // build's static web assets manifest in every environment, not only in Development.
        // Without the manifest (a published app) this does nothing and wwwroot is served as usual.
        if (!builder.Environment.IsDevelopment())
        {
            builder.WebHost.UseStaticWebAssets();
        }

        return builder;
    }

    public static WebApplication UseDashboardPages(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseStaticFiles();
        app.UseAntiforgery();
        return app;
    }
}
