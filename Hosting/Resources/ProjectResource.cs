using HealthMedallion.Hosting.Processes;

namespace HealthMedallion.Hosting.Resources;

/// <summary>
/// A .NET project of the solution, run as <c>dotnet &lt;built dll&gt;</c>, one process per replica, each given
/// the environment Aspire would give it: connection strings, service endpoints, URLs and telemetry settings.
/// </summary>
public sealed class ProjectResource(string name, string projectDirectory) : Resource(name)
{
    private readonly List<SupervisedProcess> _replicas = [];
    private readonly List<int> _ports = [];
    private readonly Dictionary<string, Func<RunContext, string>> _environment = [];

    public override string Kind => "project";

    public string ProjectDirectory { get; } = projectDirectory;

    public int? HttpPort { get; set; }

    public int ReplicaCount { get; set; } = 1;

    /// <summary>Build configuration whose output is run (the host's own, by default).</summary>
    public string Configuration { get; set; } =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public IReadOnlyList<string> Endpoints => _ports.Select(p => $"http://127.0.0.1:{p}").ToList();

    public override string? Url => HttpPort is { } port ? $"http://localhost:{port}" : Endpoints.FirstOrDefault();

    protected internal override int Replicas => ReplicaCount;

    protected internal override int Restarts => _replicas.Sum(r => r.Restarts);

    protected internal override int? Pid => _replicas.FirstOrDefault()?.Pid;

    public IReadOnlyList<ResourceLog> Logs => _replicas.Select(r => r.Log).ToList();

    public void SetEnvironment(string key, string value) => _environment[key] = _ => value;

    /// <summary>A variable whose value is known only when the host runs (a secret in its data folder, say).</summary>
    public void SetEnvironment(string key, Func<RunContext, string> value) => _environment[key] = value;

    /// <summary>Ports are fixed before anything starts, so that referencing projects know every endpoint.</summary>
    internal void AllocatePorts()
    {
        if (_ports.Count > 0)
        {
            return;
        }

        for (var i = 0; i < ReplicaCount; i++)
        {
            _ports.Add(RunContext.ClaimPort(HttpPort is { } port ? port + i : null, Name));
        }
    }

    protected internal override IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment() =>
        _ports.Select((port, i) => KeyValuePair.Create($"services__{Name}__http__{i}", $"http://127.0.0.1:{port}"));

    protected internal override Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        var assembly = FindBuiltAssembly();
        var environment = BuildEnvironment(context);
        for (var i = 0; i < ReplicaCount; i++)
        {
            var replicaEnvironment = new Dictionary<string, string?>(environment.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value)))
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{_ports[i]}",
                ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={Name}-{i}",
            };
            var replicaName = ReplicaCount == 1 ? Name : $"{Name}-{i}";
            var process = new SupervisedProcess(replicaName, () => new ProcessSpec("dotnet", [assembly])
            {
                WorkingDirectory = ProjectDirectory,
                Environment = replicaEnvironment,
            }, context, (state, message) => Report(state, message));
            _replicas.Add(process);
            process.Start();
        }

        return Task.CompletedTask;
    }

    protected internal override async Task<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (_ports.Count == 0 || _replicas.Count == 0)
        {
            return false;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        foreach (var port in _ports)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health"), cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    return false;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    protected internal override async Task StopAsync()
    {
        await Task.WhenAll(_replicas.Select(r => r.StopAsync()));
        foreach (var replica in _replicas)
        {
            replica.Dispose();
        }
    }

    /// <summary>Kills one replica's process as a crash would (for tests of the supervision).</summary>
    public void KillReplica(int replica = 0) => ProcessTree.Signal(_replicas[replica].Pid ?? 0, ProcessTree.SigKill);

    private Dictionary<string, string> BuildEnvironment(RunContext context)
    {
        var environment = new Dictionary<string, string>
        {
            ["OTEL_SERVICE_NAME"] = Name,
            ["DOTNET_ENVIRONMENT"] = context.Configuration["Environment"] ?? "Development",
            ["ASPNETCORE_ENVIRONMENT"] = context.Configuration["Environment"] ?? "Development",
            // Kestrel's own console logging is replaced by the host's prefixed output.
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var reference in References)
        {
            foreach (var (key, value) in reference.ReferenceEnvironment())
            {
                environment[key] = value;
            }
        }

        foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, e.Value as string))
                     .Where(e => e.Item1.StartsWith("OTEL_EXPORTER_OTLP_", StringComparison.Ordinal) && e.Item2 is not null))
        {
            environment[key] = value!;
        }

        foreach (var (key, value) in _environment)
        {
            environment[key] = value(context);
        }

        return environment;
    }

    private string FindBuiltAssembly()
    {
        var project = Directory.EnumerateFiles(ProjectDirectory, "*.csproj").SingleOrDefault()
            ?? throw new InvalidOperationException($"No project file in {ProjectDirectory} for '{Name}'.");
        var assemblyName = Path.GetFileNameWithoutExtension(project);
        var dll = Path.Combine(ProjectDirectory, "bin", Configuration, "net10.0", assemblyName + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"'{Name}' is not built ({dll} is missing): run 'dotnet build' first.");
    }
}
