using System.Net.Http.Headers;
using System.Text;
using HealthMedallion.Hosting;
using HealthMedallion.Hosting.Servers;
using HealthMedallion.Hosting.Testing;

namespace HealthMedallion.TestSupport;

/// <summary>Where the shared test servers are. The RabbitMQ management URI carries its credentials.</summary>
public sealed record ServerEndpoints(string Postgres, string RabbitMq, Uri RabbitMqManagement, string Redis)
{
    public const string PostgresVariable = "HM_TEST_POSTGRES";
    public const string RabbitMqVariable = "HM_TEST_RABBITMQ";
    public const string RabbitMqManagementVariable = "HM_TEST_RABBITMQ_MANAGEMENT";
    public const string RedisVariable = "HM_TEST_REDIS";

    public static ServerEndpoints? FromEnvironment() =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } postgres
        && Environment.GetEnvironmentVariable(RabbitMqVariable) is { Length: > 0 } rabbit
        && Environment.GetEnvironmentVariable(RabbitMqManagementVariable) is { Length: > 0 } management
        && Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } redis
            ? new(postgres, rabbit, new Uri(management), redis)
            : null;

    public IEnumerable<KeyValuePair<string, string>> ToEnvironment() =>
    [
        new(PostgresVariable, Postgres), new(RabbitMqVariable, RabbitMq),
        new(RabbitMqManagementVariable, RabbitMqManagement.ToString()), new(RedisVariable, Redis),
    ];

    public AuthenticationHeaderValue ManagementCredentials =>
        new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes(Uri.UnescapeDataString(RabbitMqManagement.UserInfo))));
}

/// <summary>
/// The real PostgreSQL, RabbitMQ and Redis servers of a test run. ./test.sh starts them once for the whole
/// run and passes their addresses in HM_TEST_* variables; a test process started without them (from an IDE,
/// say) starts its own set through the testing builder and stops it when the process exits.
/// </summary>
public static class TestServers
{
    private static readonly Lazy<Task<ServerEndpoints>> Shared = new(StartOrFindAsync);

    public static Task<ServerEndpoints> GetAsync() => Shared.Value;

    /// <summary>Declares the three servers with settings for tests (durability traded for speed).</summary>
    public static DistributedApplication Build(string? dataRoot = null)
    {
        var builder = DistributedApplicationTestingBuilder.Create(dataRoot);
        builder.AddPostgres("postgres")
            .WithSetting("fsync", "off")
            .WithSetting("synchronous_commit", "off")
            .WithSetting("full_page_writes", "off");
        builder.AddRabbitMQ("messaging");
        builder.AddRedis("redis");
        return builder.Build();
    }

    /// <summary>Starts the servers and returns their endpoints, or fails naming those that did not come up.</summary>
    public static async Task<ServerEndpoints> StartAsync(DistributedApplication app, CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken);
        var broken = app.Statuses.Where(s => s.State != Hosting.Resources.ResourceState.Healthy).ToList();
        if (broken.Count > 0)
        {
            throw new InvalidOperationException("Test servers did not start: " + string.Join("; ", broken.Select(s => $"{s.Name} {s.State}: {s.Message}")));
        }

        var rabbit = app.Resource<RabbitMQServerResource>("messaging");
        var management = new UriBuilder(rabbit.ManagementUri!)
        {
            UserName = "guest",
            Password = new Uri(rabbit.ConnectionString!).UserInfo.Split(':')[1],
        }.Uri;
        return new ServerEndpoints(app.GetConnectionString("postgres"), rabbit.ConnectionString!, management, app.GetConnectionString("redis"));
    }

    private static async Task<ServerEndpoints> StartOrFindAsync()
    {
        if (ServerEndpoints.FromEnvironment() is { } configured)
        {
            return configured;
        }

        // One folder per test project (its output folder): if this process is killed before it stops its servers, the next run
        // of the same assembly finds them through the pid files there and stops them.
        var folder = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(AppContext.BaseDirectory)))[..12];
        var app = Build(Path.Combine(Path.GetTempPath(), "healthmedallion-test", "standalone-" + folder));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => app.StopAsync().GetAwaiter().GetResult();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await StartAsync(app, timeout.Token);
    }
}
