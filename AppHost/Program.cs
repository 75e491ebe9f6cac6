using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Resources;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The medallion database is sized for the machine: a quarter of its memory as shared buffers, at most 2 GB, and a
// background writer that keeps them clean. At a million patients a 100k-claim gold batch updates the claim facts and
// patient marts at random and reads silver; with 2 GB and the writer its six measured runs averaged 4.75 s, against
// 5.10 s with 1 GB and 5.01 s with 6 GB. More buffers slowed the full build, whose steps run side by side on both cores
// (two runs each: 75-85 s with 2 GB, 76-81 s with 1 GB, 90 s with 6 GB).
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
