using HealthMedallion.QualityMonitor;
using HealthMedallion.QualityMonitor.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddQualityMonitor();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapQualityMonitorApi();

app.Run();

public partial class Program;
