using System.Diagnostics;

namespace HealthMedallion.Hosting.Servers;

/// <summary>A system account a server must run as (Postgres refuses root), entered with util-linux's setpriv.</summary>
public sealed class OperatingSystemUser(string name)
{
    public static OperatingSystemUser Postgres { get; } = new("postgres");

    public string Name { get; } = name;

    // setpriv execs the program in place (no extra process in between), so signals reach the server itself.
    public IReadOnlyList<string> SetprivArguments => [$"--reuid={Name}", $"--regid={Name}", "--init-groups", "--reset-env"];

    /// <summary>Gives the account a folder (recursively): .NET has no chown, the coreutils command does it.</summary>
    public void Own(string folder)
    {
        using var chown = Process.Start(new ProcessStartInfo("chown", ["-R", $"{Name}:{Name}", folder]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("chown did not start.");
        var error = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException($"Cannot give {folder} to the '{Name}' account: {error.Trim()}");
        }
    }
}
