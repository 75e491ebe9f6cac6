namespace HealthMedallion.Hosting.Servers;

/// <summary>Finds the servers' programs where their Debian packages install them.</summary>
public static class ServerBinaries
{
    public static string PostgresBin()
    {
        var root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.EnumerateDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "postgres")) && File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw Missing("PostgreSQL", "postgresql");
    }

    public static string Find(string program, string product, string package, params string[] candidates)
    {
        foreach (var candidate in candidates.Append(program))
        {
            if (Path.IsPathRooted(candidate) && File.Exists(candidate))
            {
                return candidate;
            }

            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var path = Path.Combine(dir, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        throw Missing(product, package);
    }

    private static InvalidOperationException Missing(string product, string package) =>
        new($"{product} is not installed: install the Debian package '{package}' (sudo apt-get install -y {package}), or run ./run.sh which installs it.");
}
