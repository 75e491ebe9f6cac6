using System.Diagnostics;
using HealthMedallion.Hosting;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>How long the host takes to bring fresh PostgreSQL, RabbitMQ and Redis servers to healthy, and to stop them.</summary>
public sealed class ServersStartupScenario : IScenario
{
    private const int Runs = 3;

    public string Name => "servers-startup";

    public string Description => "fresh PostgreSQL + RabbitMQ + Redis to healthy, then stopped (3 runs)";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var starts = new List<double>();
        var stops = new List<double>();
        for (var run = 0; run < Runs; run++)
        {
            var builder = context.CreateBuilder($"run{run}");
            builder.AddPostgres("postgres").AddDatabase("medallion");
            builder.AddRabbitMQ("messaging");
            builder.AddRedis("redis");
            var app = builder.Build();
            var clock = Stopwatch.StartNew();
            await app.StartAsync(cancellationToken);
            starts.Add(clock.Elapsed.TotalSeconds);
            var unhealthy = app.Statuses.Where(s => s.State != Hosting.Resources.ResourceState.Healthy).Select(s => s.Name).ToList();
            clock.Restart();
            await app.DisposeAsync();
            stops.Add(clock.Elapsed.TotalSeconds);
            if (unhealthy.Count > 0)
            {
                throw new InvalidOperationException($"run {run}: not healthy: {string.Join(", ", unhealthy)}");
            }
        }

        return new BenchResult(
            [
                new("start to healthy, median", Median(starts), "s"),
                new("start to healthy, max", starts.Max(), "s"),
                new("stop, median", Median(stops), "s"),
            ],
            new Dictionary<string, string> { ["runs"] = $"{Runs}" });
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
