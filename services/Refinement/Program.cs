using HealthMedallion.Refinement;
using HealthMedallion.Refinement.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRefinement();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRefinementApi();
app.MapIdentityApi();

app.Run();

public partial class Program;
