using System.Net;
using System.Text.Json;
using HealthMedallion.ServiceDefaults.Tests.Support;
using HealthMedallion.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Tests.Health;

public sealed class HealthEndpointTests(IsolatedServices services) : IClassFixture<IsolatedServices>
{
    [Fact]
    public async Task Health_EveryDependencyAnswers_Returns200_NamingEachCheck()
    {
        // Arrange
        await using var app = await StartAsync(services.Postgres);
        using var client = app.GetTestClient();

        // Act
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));

        // Assert
        var checks = await ChecksAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["messaging", "postgres", "redis", "self"], checks.Keys.Order());
        Assert.All(checks.Values, status => Assert.Equal("Healthy", status));
    }

    [Fact]
    public async Task Health_PostgresUnreachable_Returns503_NamingPostgres_WhileAliveSays200()
    {
        // Arrange: Postgres at a loopback port nothing listens on.
        var unreachable = new NpgsqlConnectionStringBuilder(services.Postgres)
        {
            Host = "127.0.0.1",
            Port = ProbeHost.ClosedPort(),
            Timeout = 2,
        }.ConnectionString;
        await using var app = await StartAsync(unreachable);
        using var client = app.GetTestClient();

        // Act
        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
        using var alive = await client.GetAsync(new Uri("/alive", UriKind.Relative));

        // Assert
        var checks = await ChecksAsync(health);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", checks["postgres"]);
        Assert.Equal("Healthy", checks["redis"]);
        Assert.Equal("Healthy", checks["messaging"]);

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(["self"], (await ChecksAsync(alive)).Keys);
    }

    [Fact]
    public async Task Health_RedisUnreachable_Returns503_NamingRedis()
    {
        // Arrange
        await using var app = await StartAsync(services.Postgres, redis: $"127.0.0.1:{ProbeHost.ClosedPort()},connectTimeout=2000");
        using var client = app.GetTestClient();

        // Act
        using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));

        // Assert
        var checks = await ChecksAsync(health);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("Unhealthy", checks["redis"]);
        Assert.Equal("Healthy", checks["postgres"]);
    }

    [Fact]
    public async Task DataSource_ConnectsAsTheService()
    {
        // Arrange
        await using var app = await StartAsync(services.Postgres);
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();

        // Act
        await using var command = dataSource.CreateCommand("SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
        var applicationName = await command.ExecuteScalarAsync();

        // Assert
        Assert.Equal("health-probe", applicationName);
    }

    [Theory]
    [InlineData("medallion")]
    [InlineData("redis")]
    [InlineData("messaging")]
    public async Task MissingConnectionString_FailsNamingTheKey(string missing)
    {
        // Arrange
        var settings = Settings(services.Postgres);
        settings.Remove($"ConnectionStrings:{missing}");
        var builder = ProbeHost.CreateBuilder("health-probe", settings);
        builder.AddServiceDefaults();
        builder.AddNpgsqlDataSource("medallion");
        builder.AddRedisClient("redis");
        builder.AddMessageBus();
        await using var app = builder.Build();

        // Act: the data source and Redis client are built on first use, the bus when the host starts.
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            _ = app.Services.GetRequiredService<NpgsqlDataSource>();
            _ = app.Services.GetRequiredService<HealthMedallion.Redis.RedisConnection>();
            await app.StartAsync();
        });

        // Assert
        var invalid = Assert.IsType<InvalidOperationException>(error.GetBaseException());
        Assert.Contains($"ConnectionStrings:{missing}", invalid.Message, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings(string postgres, string? redis = null) => new()
    {
        ["ConnectionStrings:medallion"] = postgres,
        ["ConnectionStrings:redis"] = redis ?? services.Redis,
        ["ConnectionStrings:messaging"] = services.RabbitMq,
    };

    private async Task<WebApplication> StartAsync(string postgres, string? redis = null)
    {
        var builder = ProbeHost.CreateBuilder("health-probe", Settings(postgres, redis));
        builder.AddServiceDefaults();
        builder.AddNpgsqlDataSource("medallion");
        builder.AddRedisClient("redis");
        builder.AddMessageBus();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }

    private static async Task<Dictionary<string, string>> ChecksAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("checks").EnumerateObject()
            .ToDictionary(check => check.Name, check => check.Value.GetProperty("status").GetString()!);
    }
}
