using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthMedallion.Hosting.Resources;
using HealthMedallion.Hosting.Servers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.Hosting;

/// <summary>
/// Runs the declared resources: starts them in WaitFor order, watches their health, restarts what crashes,
/// serves their states as JSON, and stops the whole process tree on Ctrl-C, SIGTERM or disposal.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(1);

    // Healthy resources are checked every few ticks only: frequent probes are noise in every service's log.
    private const int HealthyCheckEvery = 5;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly DistributedApplicationBuilder _builder;
    private readonly RunContext _context;
    private readonly Dictionary<Resource, TaskCompletionSource> _started = [];
    private readonly Dictionary<Resource, TaskCompletionSource> _healthy = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _launches = [];
    private Task _monitor = Task.CompletedTask;
    private WebApplication? _stateServer;
    private int _stopped;

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        _builder = builder;
        _context = new RunContext(builder.Options.DataRoot!, builder.Configuration, builder.Options.LogToConsole);
        foreach (var resource in builder.Resources)
        {
            _started[resource] = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _healthy[resource] = new(TaskCreationOptions.RunContinuationsAsynchronously);
            resource.StatusChanged += (_, status) => Announce(status);
        }
    }

    public IReadOnlyList<Resource> Resources => _builder.Resources;

    /// <summary>Aspire's entry point: the builder of the application's resources.</summary>
    public static DistributedApplicationBuilder CreateBuilder(string[] args) => DistributedApplicationBuilder.CreateBuilder(args);

    public Uri StateEndpoint => _builder.StateEndpoint;

    public string DataRoot => _context.DataRoot;

    public T Resource<T>(string name) where T : Resource =>
        Resources.OfType<T>().SingleOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"No {typeof(T).Name} named '{name}'.");

    public IReadOnlyList<ResourceStatus> Statuses => Resources.Select(r => r.Status).ToList();

    /// <summary>Starts every resource and returns once each is healthy, failed, crash-looping, or blocked by one that is.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // The state port was only found free when the builder claimed it: it is bound first, before stopping what an earlier
        // run left (up to 10 s), during which another process that found the same port free could take it.
        await StartStateServerAsync(cancellationToken);
        var leftovers = await _context.PidFiles.StopLeftoversAsync(TimeSpan.FromSeconds(10), cancellationToken);
        if (leftovers.Count > 0)
        {
            Say($"stopped what an earlier run left behind: {string.Join(", ", leftovers)}");
        }

        if (_builder.Options.Fresh && Directory.Exists(_context.DataRoot))
        {
            Say($"--fresh: wiping {_context.DataRoot}");
            Directory.Delete(_context.DataRoot, recursive: true);
        }

        Directory.CreateDirectory(_context.DataRoot);
        foreach (var project in Resources.OfType<ProjectResource>())
        {
            project.AllocatePorts();
        }

        foreach (var resource in Resources)
        {
            _launches.Add(LaunchAsync(resource));
        }

        _monitor = MonitorAsync(_lifetime.Token);
        while (!Resources.All(IsSettled))
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Waits until the named resource has been healthy (at least once since it started).</summary>
    public Task WaitForHealthyAsync(string name, CancellationToken cancellationToken = default) =>
        _healthy[Resource<Resource>(name)].Task.WaitAsync(cancellationToken);

    /// <summary>The named resource's connection string; throws naming why there is none (e.g. the server is not installed).</summary>
    public string GetConnectionString(string name)
    {
        var resource = Resources.OfType<IResourceWithConnectionString>().SingleOrDefault(r => r.Name == name)
            ?? throw new KeyNotFoundException($"No resource named '{name}' has a connection string.");
        return resource.ConnectionString ?? throw new InvalidOperationException(((Resource)resource).Status is { State: ResourceState.Failed or ResourceState.CrashLoop } failed
            ? $"'{name}' did not start: {failed.Message}"
            : $"'{name}' has no connection string (yet).");
    }

    public Uri GetEndpoint(string projectName) => new(Resource<ProjectResource>(projectName).Endpoints[0]);

    public HttpClient CreateHttpClient(string projectName) => new() { BaseAddress = GetEndpoint(projectName) };

    /// <summary>Starts, prints the table and the gateway URL, then runs until Ctrl-C or SIGTERM and stops everything.</summary>
    public async Task RunAsync()
    {
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        try
        {
            await StartAsync(stop.Token);
            Console.WriteLine(Table());
            Say($"resource states: {StateEndpoint}api/resources");
            if (Resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "gateway") is { Url: { } gateway })
            {
                Say($"HealthMedallion is up: open {gateway}");
            }

            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: fall through to the orderly stop.
        }
        catch (InvalidOperationException e)
        {
            Say($"cannot start: {e.Message}");
            Environment.ExitCode = 1;
        }
        finally
        {
            await StopAsync();
        }

        void Handle(PosixSignalContext signal)
        {
            signal.Cancel = true; // the host stops its children itself before it exits
            Say($"{signal.Signal}: stopping everything");
            stop.Cancel();
        }
    }

    /// <summary>Stops projects first, then what they depend on; returns when no child process is left.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        await _lifetime.CancelAsync();
        await _monitor;
        await Task.WhenAll(_launches);

        var remaining = Resources.ToList();
        while (remaining.Count > 0)
        {
            // A resource is stopped only when nothing still running depends on it.
            var layer = remaining.Where(r => !remaining.Any(other => other != r && (other.WaitsFor.Contains(r) || other.References.Contains(r)))).ToList();
            if (layer.Count == 0)
            {
                layer = remaining;
            }

            await Task.WhenAll(layer.Select(async r =>
            {
                r.Report(ResourceState.Stopping);
                await r.StopAsync();
                r.Report(ResourceState.Stopped);
            }));
            remaining.RemoveAll(layer.Contains);
        }

        if (_stateServer is not null)
        {
            await _stateServer.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _lifetime.Dispose();
    }

    public string Table()
    {
        var rows = Statuses.Select(s => new[] { s.Name, s.Kind, s.State.ToString(), s.Url ?? "", s.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToList();
        string[] header = ["RESOURCE", "KIND", "STATE", "URL", "RESTARTS"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }

        return text.ToString();
    }

    private async Task LaunchAsync(Resource resource)
    {
        var token = _lifetime.Token;
        try
        {
            // A referenced server must have started so that its connection string is known; project endpoints are known up front.
            var blockers = resource.WaitsFor.Select(w => _healthy[w].Task)
                .Concat(resource.References.OfType<IResourceWithConnectionString>().Select(r => _started[(Resource)r].Task))
                .ToList();
            if (blockers.Any(b => !b.IsCompleted))
            {
                resource.Report(ResourceState.Waiting, "waiting for " + string.Join(", ", resource.WaitsFor.Concat(resource.References.OfType<IResourceWithConnectionString>().Cast<Resource>()).Distinct().Select(r => r.Name)));
                await Task.WhenAll(blockers).WaitAsync(token);
            }

            resource.Report(ResourceState.Starting);
            await resource.StartAsync(_context, token);
            _started[resource].TrySetResult();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or Npgsql.NpgsqlException)
        {
            resource.Report(ResourceState.Failed, e.Message);
        }
    }

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(HealthInterval);
        var tick = 0;
        try
        {
            do
            {
                var due = Resources.Where(r => _started[r].Task.IsCompleted && (r.Status.State != ResourceState.Healthy || tick % HealthyCheckEvery == 0));
                tick++;
                await Task.WhenAll(due.Select(async r =>
                {
                    var healthy = await r.CheckHealthAsync(cancellationToken);
                    var state = r.Status.State;
                    if (healthy)
                    {
                        r.Report(ResourceState.Healthy);
                        _healthy[r].TrySetResult();
                    }
                    else if (state is ResourceState.Healthy or ResourceState.Running)
                    {
                        r.Report(ResourceState.Unhealthy);
                    }
                }));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private bool IsSettled(Resource resource) =>
        resource.Status.State switch
        {
            ResourceState.Healthy or ResourceState.Failed or ResourceState.CrashLoop => true,
            ResourceState.Waiting => resource.WaitsFor.Concat(resource.References).Any(d => IsBroken(d, [])),
            _ => _healthy[resource].Task.IsCompleted,
        };

    private static bool IsBroken(Resource resource, HashSet<Resource> seen) =>
        seen.Add(resource)
        && (resource.Status.State is ResourceState.Failed or ResourceState.CrashLoop
            || resource.WaitsFor.Concat(resource.References).Any(d => IsBroken(d, seen)));

    private async Task StartStateServerAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(StateEndpoint.ToString());
        _stateServer = builder.Build();
        _stateServer.MapGet("/api/resources", () => Results.Json(Statuses, Json));
        await _stateServer.StartAsync(cancellationToken);
    }

    private void Announce(ResourceStatus status)
    {
        if (_builder.Options.LogToConsole)
        {
            Say($"{status.Name}: {status.State}{(status.Message is { } m ? " - " + m : "")}");
        }
    }

    private void Say(string message)
    {
        if (_builder.Options.LogToConsole)
        {
            Console.WriteLine($"[apphost] {message}");
        }
    }
}
