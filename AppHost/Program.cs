using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Resources;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The medallion database gets 1 GB of shared buffers, which hold a batch's working set at a million patients (the claim
// facts and patient marts it updates at random): with 256 MB, the servers' default, a 100k-claim gold batch spent much
// of its time evicting dirty pages and reading them back (6.7-7.1 s against 5.9-6.5 s; the full build ran the same).
var postgres = builder.AddPostgres("postgres").WithSetting("shared_buffers", "1GB");
var medallion = postgres.AddDatabase("medallion");
var redis = builder.AddRedis("redis");
var messaging = builder.AddRabbitMQ("messaging");

// Every pipeline service keeps its layer in the medallion database and talks over the message bus.
ResourceBuilder<ProjectResource> AddService(string name, string path) =>
    builder.AddProject(name, path)
        .WithReference(medallion).WaitFor(medallion)
        .WithReference(messaging).WaitFor(messaging);

// The landing zone the generator writes and ingestion reads, and the generator's ground truth beside it.
var landing = Path.Combine(builder.Options.DataRoot!, "landing");
var generator = AddService("generator", "services/Generator")
    .WithEnvironment("Landing__Root", landing)
    .WithEnvironment("Generator__RunsRoot", Path.Combine(builder.Options.DataRoot!, "generator"));
var ingestion = AddService("ingestion", "services/Ingestion")
    .WithEnvironment("Landing__Root", landing);
var refinement = AddService("refinement", "services/Refinement")
    .WithGeneratedSecret("Refinement__SsnHashKey", "ssn-hash-key");
var goldModeling = AddService("gold-modeling", "services/GoldModeling");
var featureStore = AddService("feature-store", "services/FeatureStore").WithReference(redis).WaitFor(redis);
var qualityMonitor = AddService("quality-monitor", "services/QualityMonitor");
ResourceBuilder<ProjectResource>[] services = [generator, ingestion, refinement, goldModeling, featureStore, qualityMonitor];

var dashboard = builder.AddProject("dashboard", "web/Dashboard").WithResourceStates();
var gateway = builder.AddProject("gateway", "services/Gateway")
    .WithHttpEndpoint(builder.Configuration.GetValue("Gateway:Port", 8080))
    .WithReference(dashboard);
foreach (var service in services)
{
    dashboard.WithReference(service);
    gateway.WithReference(service);
}

await builder.Build().RunAsync();
