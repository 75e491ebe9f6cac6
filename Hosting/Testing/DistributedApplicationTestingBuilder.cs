namespace HealthMedallion.Hosting.Testing;

/// <summary>
/// Our counterpart of Aspire.Hosting.Testing: declare the model (or part of it) in a test, start it in a
/// private, fresh data folder without console output, and ask it for connection strings and HTTP clients.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static DistributedApplicationBuilder Create(string? dataRoot = null, params string[] args)
    {
        var options = new DistributedApplicationOptions
        {
            DataRoot = dataRoot ?? Path.Combine(Path.GetTempPath(), "healthmedallion-test", Guid.NewGuid().ToString("N")),
            Fresh = true,
            LogToConsole = false,
        };
        return new DistributedApplicationBuilder(options, args);
    }
}
