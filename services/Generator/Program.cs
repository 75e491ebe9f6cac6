using HealthMedallion.Generator;
using HealthMedallion.Generator.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGenerator();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGeneratorApi();

app.Run();

public partial class Program;
