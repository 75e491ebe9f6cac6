using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Resources;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The medallion database is sized for the machine (a quarter of its memory as shared buffers, 6 GB of 24 here, and a
// background writer that keeps them clean): a 100k-claim gold batch at a million patients updates the claim facts and
// patient marts at random and reads silver, and with 1 GB it spent much of its time writing out dirty pages before it
// could read others in (5.1-5.5 s against 4.5-5.0 s; with 256 MB, the servers' default, 6.7-7.1 s). More buffers
// without the writer were no better (5.7-7.0 s): the dirty pages only piled up. The full build ran the same.
var postgres = builder.AddPostgres("postgres").WithMachineSizedBuffers();
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
