using HealthMedallion.GoldModeling;
using HealthMedallion.GoldModeling.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGoldModeling();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapGoldModelingApi();

app.Run();

public partial class Program;
