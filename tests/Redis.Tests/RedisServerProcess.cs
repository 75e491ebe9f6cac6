using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HealthMedallion.Redis.Tests;

/// <summary>A private redis-server for tests that kill, restart or reconfigure the server, which the shared one must never see.</summary>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly string[] _extraArguments;
    private readonly bool _tls;
    private Process? _process;

    private RedisServerProcess(int port, bool tls, string[] extraArguments)
    {
        Port = port;
        _tls = tls;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    public RedisOptions Options => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        CommandTimeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>Starts redis-server on a free port, without persistence, with <paramref name="extraArguments"/> (e.g. --requirepass).</summary>
    public static async Task<RedisServerProcess> StartAsync(params string[] extraArguments)
    {
        var server = new RedisServerProcess(FreePort(), tls: false, extraArguments);
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts redis-server accepting only TLS connections, with the given PEM certificate and key.</summary>
    public static async Task<RedisServerProcess> StartWithTlsAsync(string certificateFile, string keyFile)
    {
        var server = new RedisServerProcess(
            FreePort(),
            tls: true,
            ["--tls-cert-file", certificateFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", certificateFile, "--tls-auth-clients", "no"]);
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts (again) on the same port and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var port = Port.ToString(CultureInfo.InvariantCulture);
        string[] ports = _tls ? ["--port", "0", "--tls-port", port] : ["--port", port];
        foreach (var argument in ports.Concat(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Path.GetTempPath(), "--loglevel", "warning"]).Concat(_extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} on port {Port}.");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException($"redis-server did not accept connections on port {Port} within 10 s.");
    }

    /// <summary>Kills the server abruptly (SIGKILL), as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): the kernel still accepts connections and data, but nothing is answered,
    /// as with a hung server or a network that silently drops packets.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>Unfreezes the server (SIGCONT); it then answers everything it received meanwhile.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    public async ValueTask DisposeAsync() => await KillAsync();

    private async Task SignalAsync(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException("redis-server is not running.");
        using var kill = Process.Start("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
