using HealthMedallion.Gateway.Apis;
using HealthMedallion.Gateway.Routing;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddServiceRoutes();         // YARP routes and clusters from the app host's services:* entries

var app = builder.Build();

app.MapDefaultEndpoints();          // the gateway's own /health and /alive
app.MapGatewayApi();                // GET /api/gateway/routes
app.MapReverseProxy();              // /api/<service>/** to each service, everything else to the dashboard

app.Run();

public partial class Program;
