namespace HealthMedallion.Hosting.Resources;

public enum ResourceState
{
    Waiting,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Restarting,
    CrashLoop,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>A snapshot of a resource, as the console table and the JSON state endpoint show it.</summary>
public sealed record ResourceStatus(
    string Name,
    string Kind,
    ResourceState State,
    string? Url,
    int Replicas,
    int Restarts,
    int? Pid,
    string? Message,
    DateTimeOffset Since);

/// <summary>
/// Something the host starts (or finds already running) and watches: a server, a database in it, or a project.
/// </summary>
public abstract class Resource(string name)
{
    private ResourceStatus? _status;

    public string Name { get; } = name;

    public abstract string Kind { get; }

    /// <summary>Resources that must be healthy before this one starts.</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Resources whose address this one is given (connection strings, service endpoints).</summary>
    public List<Resource> References { get; } = [];

    public ResourceStatus Status => _status ?? new(Name, Kind, ResourceState.Waiting, null, 1, 0, null, null, DateTimeOffset.UtcNow);

    /// <summary>The address a person can open or connect to, once known.</summary>
    public virtual string? Url => null;

    protected internal virtual int Replicas => 1;

    protected internal virtual int Restarts => 0;

    protected internal virtual int? Pid => null;

    internal event Action<Resource, ResourceStatus>? StatusChanged;

    /// <summary>Records a new state; a repeated state keeps its original time and message unless one is given.</summary>
    protected internal void Report(ResourceState state, string? message = null)
    {
        var previous = _status;
        if (previous is not null && previous.State == state && (message is null || message == previous.Message))
        {
            _status = previous with { Url = Url, Restarts = Restarts, Pid = Pid, Replicas = Replicas };
            return;
        }

        _status = new(Name, Kind, state, Url, Replicas, Restarts, Pid, message, DateTimeOffset.UtcNow);
        StatusChanged?.Invoke(this, _status);
    }

    /// <summary>Starts what this resource needs (or nothing, when it already runs elsewhere).</summary>
    protected internal abstract Task StartAsync(RunContext context, CancellationToken cancellationToken);

    /// <summary>Answers whether the resource serves requests right now.</summary>
    protected internal abstract Task<bool> CheckHealthAsync(CancellationToken cancellationToken);

    protected internal virtual Task StopAsync() => Task.CompletedTask;

    /// <summary>Environment variables this resource hands to a project that references it.</summary>
    protected internal virtual IEnumerable<KeyValuePair<string, string>> ReferenceEnvironment() =>
        this is IResourceWithConnectionString { ConnectionString: { } connectionString }
            ? [KeyValuePair.Create($"ConnectionStrings__{Name}", connectionString)]
            : [];
}

/// <summary>A resource that other resources reach through a connection string (Aspire's ConnectionStrings__name).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    /// <summary>The connection string, once the resource has started (or at once, when it runs elsewhere).</summary>
    string? ConnectionString { get; }
}
