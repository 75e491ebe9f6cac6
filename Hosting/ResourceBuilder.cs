using HealthMedallion.Hosting.Resources;
using HealthMedallion.Hosting.Servers;

namespace HealthMedallion.Hosting;

/// <summary>A resource being declared, with Aspire's fluent methods (WithReference, WaitFor, ...).</summary>
public sealed class ResourceBuilder<T>(DistributedApplicationBuilder application, T resource) where T : Resource
{
    public DistributedApplicationBuilder ApplicationBuilder { get; } = application;

    public T Resource { get; } = resource;

    /// <summary>Hands the other resource's address to this one (a connection string or service endpoints).</summary>
    public ResourceBuilder<T> WithReference<TOther>(ResourceBuilder<TOther> other) where TOther : Resource
    {
        Resource.References.Add(other.Resource);
        return this;
    }

    /// <summary>Starts this resource only once the other one is healthy.</summary>
    public ResourceBuilder<T> WaitFor<TOther>(ResourceBuilder<TOther> other) where TOther : Resource
    {
        Resource.WaitsFor.Add(other.Resource);
        return this;
    }
}

public static class ResourceBuilderExtensions
{
    public static ResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name, int? port = null) =>
        builder.AddResource(new PostgresServerResource(name) { Port = port ?? builder.ConfiguredPort(name) });

    public static ResourceBuilder<PostgresDatabaseResource> AddDatabase(this ResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases.Add(database);
        database.WaitsFor.Add(server.Resource);
        return server.ApplicationBuilder.AddResource(database);
    }

    public static ResourceBuilder<PostgresServerResource> WithSetting(this ResourceBuilder<PostgresServerResource> server, string name, string value)
    {
        server.Resource.Settings[name] = value;
        return server;
    }

    /// <summary>
    /// Sizes the server for a machine it has to itself: a quarter of the memory as shared buffers (Postgres's documented
    /// starting point), at most 8 GB, and a background writer that keeps them clean on an otherwise idle core, so that a
    /// backend rarely has to write out a dirty page before it can read one in. At a million patients a gold rebuild reads
    /// 3.1 GB of silver, which 6 GB hold and the earlier cap of 2 GB did not (full builds: 58.1-65.5 s in six runs against
    /// 62.9-64.8 s in the three before, within this machine's noise). The servers' defaults (256 MB, a writer that cleans at
    /// most 100 pages every 200 ms) suit the test harness's small databases. Postgres maps the buffers on 2 MB huge pages
    /// when the machine has reserved enough of them (huge_pages = try, its default; <c>scripts/huge-pages.sh</c>, which
    /// run.sh runs, reserves them for this size).
    /// </summary>
    public static ResourceBuilder<PostgresServerResource> WithMachineSizedBuffers(this ResourceBuilder<PostgresServerResource> server)
    {
        const long MiB = 1024 * 1024;
        var quarter = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 / MiB;
        return server.WithSetting("shared_buffers", $"{Math.Clamp(quarter, 128, 8192)}MB")
            .WithSetting("bgwriter_delay", "10ms").WithSetting("bgwriter_lru_maxpages", "1000").WithSetting("bgwriter_lru_multiplier", "4");
    }

    public static ResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name, int? port = null) =>
        builder.AddResource(new RedisResource(name) { Port = port ?? builder.ConfiguredPort(name) });

    public static ResourceBuilder<RabbitMQServerResource> AddRabbitMQ(this DistributedApplicationBuilder builder, string name, int? port = null) =>
        builder.AddResource(new RabbitMQServerResource(name) { Port = port ?? builder.ConfiguredPort(name) });

    public static ResourceBuilder<ExecutableResource> AddExecutable(this DistributedApplicationBuilder builder, string name, string command, params string[] arguments) =>
        builder.AddResource(new ExecutableResource(name, command, arguments));

    /// <summary>A project of the solution, by its folder relative to the solution root.</summary>
    public static ResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectPath) =>
        builder.AddResource(new ProjectResource(name, Path.GetFullPath(Path.Combine(builder.Options.SolutionRoot, projectPath))));

    public static ResourceBuilder<ProjectResource> WithHttpEndpoint(this ResourceBuilder<ProjectResource> project, int? port = null)
    {
        project.Resource.HttpPort = port ?? project.ApplicationBuilder.ConfiguredPort(project.Resource.Name);
        return project;
    }

    public static ResourceBuilder<ProjectResource> WithReplicas(this ResourceBuilder<ProjectResource> project, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        project.Resource.ReplicaCount = replicas;
        return project;
    }

    public static ResourceBuilder<ProjectResource> WithEnvironment(this ResourceBuilder<ProjectResource> project, string key, string value)
    {
        project.Resource.SetEnvironment(key, value);
        return project;
    }

    /// <summary>
    /// Gives the project a secret key as the variable <paramref name="key"/>: 32 random bytes (hex) generated into the
    /// data folder on the first run and kept from then on (a development key; production configures its own).
    /// </summary>
    public static ResourceBuilder<ProjectResource> WithGeneratedSecret(this ResourceBuilder<ProjectResource> project, string key, string secretName)
    {
        project.Resource.SetEnvironment(key, context => context.Secret(secretName, bytes: 32));
        return project;
    }

    /// <summary>Gives the project the host's resource-state endpoint as the service 'apphost'.</summary>
    public static ResourceBuilder<ProjectResource> WithResourceStates(this ResourceBuilder<ProjectResource> project)
    {
        project.Resource.SetEnvironment("services__apphost__http__0", project.ApplicationBuilder.StateEndpoint.ToString().TrimEnd('/'));
        return project;
    }
}
