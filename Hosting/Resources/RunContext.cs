using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using HealthMedallion.Hosting.Processes;
using Microsoft.Extensions.Configuration;

namespace HealthMedallion.Hosting.Resources;

/// <summary>What every resource shares while the host runs: its data folder, logs, pid files and configuration.</summary>
public sealed class RunContext(string dataRoot, IConfiguration configuration, bool logToConsole)
{
    public string DataRoot { get; } = dataRoot;

    public IConfiguration Configuration { get; } = configuration;

    public PidFiles PidFiles { get; } = new(Path.Combine(dataRoot, "pids"));

    public string DataFolder(string resourceName)
    {
        var path = Path.Combine(DataRoot, resourceName);
        Directory.CreateDirectory(path);
        return path;
    }

    public ResourceLog CreateLog(string name) => new(name, Path.Combine(DataRoot, "logs"), logToConsole);

    /// <summary>
    /// A secret of <paramref name="bytes"/> random bytes (as hex) kept in the data folder, so a server keeps its password,
    /// and a service its keys, from one run to the next.
    /// </summary>
    public string Secret(string name, int bytes = 16)
    {
        var folder = DataFolder("secrets");
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes)));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return File.ReadAllText(path).Trim();
    }

    /// <summary>An explicitly configured port must be free (fail naming it); otherwise any free port will do.</summary>
    public static int ClaimPort(int? configured, string resourceName)
    {
        if (configured is { } port)
        {
            if (!IsFree(port))
            {
                throw new InvalidOperationException($"Port {port} configured for '{resourceName}' is already in use.");
            }

            return port;
        }

        // Not port 0: the kernel would hand out an ephemeral port, and until the resource binds it, any outgoing
        // connection on the machine may take that same port as its source. Below the ephemeral range only
        // listeners compete, and each checks before it takes one.
        var below = EphemeralRangeStart();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = Random.Shared.Next(below / 2, below);
            if (IsFree(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"No free port below {below} for '{resourceName}'.");
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768; // Linux's default
        }
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
