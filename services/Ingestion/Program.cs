using HealthMedallion.Ingestion;
using HealthMedallion.Ingestion.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddIngestion();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapIngestionApi();

app.Run();

public partial class Program;
