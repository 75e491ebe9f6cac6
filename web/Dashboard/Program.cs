using HealthMedallion.Dashboard;
using HealthMedallion.Dashboard.Components;
using HealthMedallion.Dashboard.SystemStatus;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDashboardPages();        // Blazor static server rendering; htmx and charts come from npm
builder.AddSystemStatus();          // app host resources and direct /health probes

var app = builder.Build();

app.MapDefaultEndpoints();          // /health and /alive
app.UseDashboardPages();            // error and not-found pages, static files, antiforgery
app.MapSystemStatusApi();           // GET /system/resources: the HTML fragment htmx polls
app.MapRazorComponents<App>();

app.Run();

public partial class Program;
