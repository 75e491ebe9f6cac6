using System.Globalization;
using HealthMedallion.Hosting.Resources;
using Microsoft.Extensions.Configuration;

namespace HealthMedallion.Hosting;

public sealed class DistributedApplicationOptions
{
    /// <summary>The folder holding HealthMedallion.sln; project paths are relative to it.</summary>
    public string SolutionRoot { get; set; } = FindSolutionRoot(AppContext.BaseDirectory) ?? Directory.GetCurrentDirectory();

    /// <summary>Where servers keep their data, logs and pid files (kept between runs).</summary>
    public string? DataRoot { get; set; }

    /// <summary>Wipe the data folder before starting (after stopping whatever an earlier run left).</summary>
    public bool Fresh { get; set; }

    public bool LogToConsole { get; set; } = true;

    /// <summary>Port of the JSON resource-state endpoint; a free one when not set.</summary>
    public int? StatePort { get; set; }

    public static string? FindSolutionRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HealthMedallion.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>Declares the resources of the application, as Aspire's IDistributedApplicationBuilder does.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    public DistributedApplicationBuilder(DistributedApplicationOptions options, string[]? args = null)
    {
        Options = options;
        // --fresh is a switch, not a key: the command-line provider would take the next argument as its value.
        args ??= [];
        Options.Fresh |= args.Contains("--fresh");
        Configuration = new ConfigurationManager();
        Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args.Where(a => a != "--fresh").ToArray());
        Options.DataRoot ??= Configuration["DataRoot"] ?? Path.Combine(Options.SolutionRoot, ".medallion");
        if (int.TryParse(Configuration["StatePort"], CultureInfo.InvariantCulture, out var statePort))
        {
            Options.StatePort = statePort;
        }

        StatePort = RunContext.ClaimPort(Options.StatePort, "apphost");
    }

    public ConfigurationManager Configuration { get; }

    public DistributedApplicationOptions Options { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    internal int StatePort { get; }

    public Uri StateEndpoint => new($"http://127.0.0.1:{StatePort}/");

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(new DistributedApplicationOptions(), args);

    public ResourceBuilder<T> AddResource<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' is already declared.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    /// <summary>A port set in configuration as Resources:&lt;name&gt;:Port, if any.</summary>
    public int? ConfiguredPort(string resourceName) =>
        int.TryParse(Configuration[$"Resources:{resourceName}:Port"], CultureInfo.InvariantCulture, out var port) ? port : null;

    public DistributedApplication Build() => new(this);
}
