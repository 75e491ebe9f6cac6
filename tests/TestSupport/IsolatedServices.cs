using System.Net.Http.Json;
using Npgsql;
using Xunit;

namespace HealthMedallion.TestSupport;

/// <summary>
/// An xunit class fixture giving one test class its own database, RabbitMQ vhost and Redis key prefix on
/// the shared test servers, so that test classes never see each other's data and can run in parallel.
/// </summary>
public sealed class IsolatedServices : IAsyncLifetime
{
    private readonly string _id = "t" + Guid.NewGuid().ToString("N")[..12];
    private ServerEndpoints? _servers;

    public ServerEndpoints Servers => _servers ?? throw new InvalidOperationException("The fixture is not initialized.");

    public string DatabaseName => _id;

    public string VirtualHost => _id;

    /// <summary>Connection string of this class's own, freshly created database.</summary>
    public string Postgres { get; private set; } = "";

    /// <summary>AMQP URI of this class's own vhost.</summary>
    public string RabbitMq { get; private set; } = "";

    /// <summary>The shared Redis (Aspire format, <c>host:port,password=...</c>).</summary>
    public string Redis => Servers.Redis;

    /// <summary>Prefix every Redis key of this class with it.</summary>
    public string RedisKeyPrefix => _id + ":";

    public async Task InitializeAsync()
    {
        _servers = await TestServers.GetAsync();
        await using (var admin = new NpgsqlConnection(Servers.Postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_id}", admin);
            await create.ExecuteNonQueryAsync();
        }

        Postgres = new NpgsqlConnectionStringBuilder(Servers.Postgres) { Database = _id }.ConnectionString;

        using var management = ManagementClient();
        (await management.PutAsync($"api/vhosts/{_id}", null)).EnsureSuccessStatusCode();
        var user = Uri.UnescapeDataString(Servers.RabbitMqManagement.UserInfo).Split(':')[0];
        (await management.PutAsJsonAsync($"api/permissions/{_id}/{user}", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        RabbitMq = new UriBuilder(Servers.RabbitMq) { Path = "/" + _id }.Uri.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(Servers.Postgres))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_id} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        using var management = ManagementClient();
        await management.DeleteAsync($"api/vhosts/{_id}");
    }

    /// <summary>An HTTP client of the RabbitMQ management API (queues, messages), authenticated.</summary>
    public HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(Servers.RabbitMqManagement.GetLeftPart(UriPartial.Authority) + "/") };
        client.DefaultRequestHeaders.Authorization = Servers.ManagementCredentials;
        return client;
    }
}
