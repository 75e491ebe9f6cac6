using HealthMedallion.FeatureStore;
using HealthMedallion.FeatureStore.Apis;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFeatureStore();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapFeatureStoreApi();

app.Run();

public partial class Program;
