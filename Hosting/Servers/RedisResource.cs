using System.Net.Sockets;
using System.Text;
using HealthMedallion.Hosting.Processes;
using HealthMedallion.Hosting.Resources;

namespace HealthMedallion.Hosting.Servers;

/// <summary>A redis-server for online features: in memory only, password protected, bound to 127.0.0.1.</summary>
public sealed class RedisResource(string name) : Resource(name), IResourceWithConnectionString
{
    private SupervisedProcess? _process;

    public override string Kind => "redis";

    public int? Port { get; set; }

    public string? ConnectionString { get; private set; }

    public override string? Url => ConnectionString is null ? null : $"redis://{ConnectionString.Split(',')[0]}";

    protected internal override int Restarts => _process?.Restarts ?? 0;

    protected internal override int? Pid => _process?.Pid;

    protected internal override Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        if (context.Configuration.GetConnectionStringOrNull(Name) is { } configured)
        {
            ConnectionString = configured;
            Report(ResourceState.Running, "configured: not started by the host");
            return Task.CompletedTask;
        }

        var program = ServerBinaries.Find("redis-server", "Redis", "redis-server", "/usr/bin/redis-server");
        var port = RunContext.ClaimPort(Port, Name);
        var password = context.Secret(Name);
        var folder = context.DataFolder(Name);
        _process = new SupervisedProcess(Name, () => new ProcessSpec(program,
            ["--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder, "--requirepass", password]),
            context, (state, message) => Report(state, message));
        ConnectionString = $"127.0.0.1:{port},password={password}";
        _process.Start();
        return Task.CompletedTask;
    }

    protected internal override async Task<bool> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (ConnectionString is null)
        {
            return false;
        }

        var parts = ConnectionString.Split(',');
        var endpoint = parts[0].Split(':');
        var password = parts.Skip(1).Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0].Trim() == "password")?[1];
        try
        {
            // A raw RESP exchange: the host needs no Redis client for one PING.
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await client.ConnectAsync(endpoint[0], int.Parse(endpoint[1], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
            var stream = client.GetStream();
            var request = password is null ? "PING\r\n" : $"AUTH {password}\r\nPING\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
            var buffer = new byte[256];
            var received = new StringBuilder();
            while (!received.ToString().Contains("+PONG", StringComparison.Ordinal) && !received.ToString().Contains('-', StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return received.ToString().Contains("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    protected internal override async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync();
            process.Dispose();
        }
    }
}
