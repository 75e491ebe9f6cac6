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

    /// <summary>A secret kept in the data folder, so a server keeps its password from one run to the next.</summary>
    public string Secret(string name)
    {
        var folder = DataFolder("secrets");
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
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

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
