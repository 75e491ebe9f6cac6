using System.Diagnostics;
using System.Globalization;
using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Servers;
using HealthMedallion.Redis;

namespace HealthMedallion.Bench.Scenarios;

/// <summary>
/// The online feature store's hot path: our RESP client's throughput on one multiplexed connection with many
/// concurrent callers, against redis-benchmark on one connection with the same number of commands in flight.
/// </summary>
public sealed class RedisPipelineScenario : IScenario
{
    private const int Requests = 400_000;
    private const int InFlight = 256;

    public string Name => "redis-pipeline";

    public string Description => $"SET then GET {Requests:N0} keys, {InFlight} in flight on one connection, vs redis-benchmark";

    public async Task<BenchResult> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var builder = context.CreateBuilder("redis");
        builder.AddRedis("redis");
        await using var app = builder.Build();
        await app.StartAsync(cancellationToken);
        var connectionString = app.GetConnectionString("redis");
        var options = RedisOptions.Parse(connectionString);

        var baseline = await RedisBenchmarkAsync(options, cancellationToken);
        await using var client = new RedisConnection(options);
        await client.PingAsync(cancellationToken);
        var set = await MeasureAsync(i => client.StringSetAsync($"bench:{i}", "0123456789abcdef", cancellationToken: cancellationToken), cancellationToken);
        var get = await MeasureAsync(i => client.StringGetAsync($"bench:{i}", cancellationToken), cancellationToken);

        return new BenchResult(
            [
                new("client SET", set, "ops/s"),
                new("client GET", get, "ops/s"),
                new("redis-benchmark SET (-c 1 -P 256)", baseline["SET"], "ops/s"),
                new("redis-benchmark GET (-c 1 -P 256)", baseline["GET"], "ops/s"),
                new("SET ratio client / redis-benchmark", set / baseline["SET"], "x"),
                new("GET ratio client / redis-benchmark", get / baseline["GET"], "x"),
            ],
            new Dictionary<string, string> { ["requests"] = $"{Requests}", ["inFlight"] = $"{InFlight}", ["valueBytes"] = "16" });
    }

    private static async Task<double> MeasureAsync(Func<int, Task> command, CancellationToken cancellationToken)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await command(i);
            }
        }));
        return Requests / clock.Elapsed.TotalSeconds;
    }

    private static async Task<Dictionary<string, double>> RedisBenchmarkAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        var program = ServerBinaries.Find("redis-benchmark", "redis-benchmark", "redis-tools", "/usr/bin/redis-benchmark");
        string[] auth = options.Password is { } password ? ["-a", password] : [];
        var info = new ProcessStartInfo(program,
            ["-h", options.Host, "-p", $"{options.Port}", .. auth, "-n", $"{Requests}", "-c", "1", "-P", $"{InFlight}", "-d", "16", "-t", "set,get", "--csv"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        // CSV lines: "test","rps",... with a header line first.
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(',').Select(f => f.Trim('"')).ToArray())
            .Where(f => f.Length > 1 && double.TryParse(f[1], CultureInfo.InvariantCulture, out _))
            .ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
    }
}
