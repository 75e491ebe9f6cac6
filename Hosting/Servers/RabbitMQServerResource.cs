using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.Hosting.Resources;

namespace HealthMedallion.Hosting.Servers;

/// <summary>
/// A private RabbitMQ node (with the management plugin, for vhosts and inspection) and its own epmd on a
/// private port, so nothing is shared with, or left behind for, the machine's own Erlang nodes.
/// </summary>
public sealed class RabbitMQServerResource(string name) : Resource(name), IResourceWithConnectionString
{
    private const string User = "guest";
    private SupervisedProcess? _epmd;
    private SupervisedProcess? _node;
    private string? _password;

    public override string Kind => "rabbitmq";

    public int? Port { get; set; }

    public int? ManagementPort { get; set; }

    public string? ConnectionString { get; private set; }

    /// <summary>The management HTTP API (vhosts, queues), when the host started the node.</summary>
    public Uri? ManagementUri { get; private set; }

    public override string? Url => ManagementUri?.ToString() ?? (ConnectionString is { } c ? new Uri(c).GetLeftPart(UriPartial.Authority) : null);

    protected internal override int Restarts => _node?.Restarts ?? 0;

    protected internal override int? Pid => _node?.Pid;

    /// <summary>Credentials of the management API, for the testing builder.</summary>
    public AuthenticationHeaderValue? ManagementCredentials =>
        _password is null ? null : new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes($"{User}:{_password}")));

    protected internal override async Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (context.Configuration.GetConnectionStringOrNull(Name) is { } configured)
        {
            ConnectionString = configured;
            Report(ResourceState.Running, "configured: not started by the host");
            return;
        }

        var server = ServerBinaries.Find("rabbitmq-server", "RabbitMQ", "rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server");
        var epmd = ServerBinaries.Find("epmd", "Erlang's epmd", "erlang-base", "/usr/bin/epmd");
        var port = RunContext.ClaimPort(Port, Name);
        var managementPort = RunContext.ClaimPort(ManagementPort, Name + " management");
        var epmdPort = RunContext.ClaimPort(null, Name + " epmd");
        var distributionPort = RunContext.ClaimPort(null, Name + " distribution");
        var folder = context.DataFolder(Name);
        _password = context.Secret(Name);

        var plugins = Path.Combine(folder, "enabled_plugins");
        await File.WriteAllTextAsync(plugins, "[rabbitmq_management].", cancellationToken);
        // default_user/default_pass only take effect when the node's database is first created; the secret is kept with it.
        await File.WriteAllTextAsync(Path.Combine(folder, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{port}
            management.tcp.port = {managementPort}
            management.tcp.ip = 127.0.0.1
            default_user = {User}
            default_pass = {_password}
            loopback_users = none
            """, cancellationToken);

        _epmd = new SupervisedProcess(Name + "-epmd", () => new ProcessSpec(epmd, ["-port", $"{epmdPort}", "-address", "127.0.0.1"]), context, (_, _) => { });
        _epmd.Start();

        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = folder, // the Erlang cookie lives here, private to this node
            ["ERL_EPMD_PORT"] = $"{epmdPort}",
            ["RABBITMQ_NODENAME"] = "medallion@localhost",
            ["RABBITMQ_DIST_PORT"] = $"{distributionPort}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(folder, "rabbitmq"),
        };
        _node = new SupervisedProcess(Name, () => new ProcessSpec(server, []) { Environment = environment, WorkingDirectory = folder, StopGrace = TimeSpan.FromSeconds(20) },
            context, (state, message) => Report(state, message));
        ConnectionString = $"amqp://{User}:{_password}@127.0.0.1:{port}";
        ManagementUri = new Uri($"http://127.0.0.1:{managementPort}/");
        _node.Start();
    }

    protected internal override async Task<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (ConnectionString is null)
        {
            return false;
        }

        try
        {
            if (ManagementUri is null)
            {
                // A node run elsewhere: its AMQP port answering is all the host can know.
                var uri = new Uri(ConnectionString);
                using var client = new TcpClient();
                await client.ConnectAsync(uri.Host, uri.Port is > 0 ? uri.Port : 5672, cancellationToken);
                return true;
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ManagementUri, "api/health/checks/alarms"));
            request.Headers.Authorization = ManagementCredentials;
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
        {
            return false;
        }
    }

    protected internal override async Task StopAsync()
    {
        // Both at once: a node that is shutting down no longer needs its name server, and a host that is
        // itself exiting may not have time for two stops in a row.
        SupervisedProcess[] processes = [.. new[] { _node, _epmd }.OfType<SupervisedProcess>()];
        await Task.WhenAll(processes.Select(p => p.StopAsync()));
        foreach (var process in processes)
        {
            process.Dispose();
        }
    }
}
