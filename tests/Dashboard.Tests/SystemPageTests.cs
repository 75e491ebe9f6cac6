using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace HealthMedallion.Dashboard.Tests;

public sealed class SystemPageTests
{
    private static Task<StubServer> StartServiceAsync(bool healthy) =>
        StubServer.StartAsync(app => app.MapGet("/health", () => healthy
            ? Results.Text("Healthy")
            : Results.Text("Unhealthy", statusCode: StatusCodes.Status503ServiceUnavailable)));

    private static Task<StubServer> StartAppHostAsync(Func<IResult> resources) =>
        StubServer.StartAsync(app => app.MapGet("/api/resources", resources));

    private static string ResourcesJson(string generatorUrl, string ingestionUrl) => $$"""
        [
          {"name":"postgres","kind":"postgres","state":"Healthy","url":"postgres://127.0.0.1:54329","replicas":1,"restarts":0,"pid":101,"message":null,"since":"2026-11-22T01:00:00Z"},
          {"name":"messaging","kind":"rabbitmq","state":"Starting","url":"amqp://medallion:s3cret-pw@127.0.0.1:56720","replicas":1,"restarts":0,"pid":102,"message":null,"since":"2026-11-22T01:00:05Z"},
          {"name":"generator","kind":"project","state":"Healthy","url":"{{generatorUrl}}","replicas":2,"restarts":0,"pid":103,"message":null,"since":"2026-11-22T01:00:10Z"},
          {"name":"ingestion","kind":"project","state":"CrashLoop","url":"{{ingestionUrl}}","replicas":1,"restarts":4,"pid":null,"message":"exited with code 1 <script>alert(1)</script>","since":"2026-11-22T01:02:00Z"}
        ]
        """;

    [Fact]
    public async Task SystemPage_ListsEveryAppHostResource_WithKindStateUrlRestartsAndHealth()
    {
        // Arrange: an app-host-like server, a healthy generator and an ingestion that is down.
        await using var generator = await StartServiceAsync(healthy: true);
        var ingestionUrl = StubServer.ClosedAddress();
        await using var appHost = await StartAppHostAsync(() => Results.Text(ResourcesJson(generator.Url, ingestionUrl), "application/json"));
        await using var dashboard = DashboardFactory.With(("services:apphost:http:0", appHost.Url));
        using var client = dashboard.CreateClient();

        // Act
        using var response = await client.GetAsync("/system");
        var html = await response.Content.ReadAsStringAsync();

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"Resources reported by the app host at {appHost.Url}/", html, StringComparison.Ordinal);
        foreach (var name in new[] { "postgres", "messaging", "generator", "ingestion" })
        {
            Assert.Contains($"<th scope=\"row\">{name}</th>", html, StringComparison.Ordinal);
        }

        Assert.Contains(">rabbitmq</td>", html, StringComparison.Ordinal);
        Assert.Contains(">CrashLoop</span>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"number\">4</td>", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"{generator.Url}\"", html, StringComparison.Ordinal);
        Assert.Contains("/health answered 200 &quot;Healthy&quot;", html, StringComparison.Ordinal);
        Assert.Contains("/health could not be reached", html, StringComparison.Ordinal);
        Assert.Contains("health check passed, as reported by the app host", html, StringComparison.Ordinal);
        Assert.Contains("4 resources: 2 healthy, 1 unhealthy or unreachable.", html, StringComparison.Ordinal);

        // Credentials in a server URL and markup in a message are never passed through.
        Assert.DoesNotContain("s3cret-pw", html, StringComparison.Ordinal);
        Assert.Contains("amqp://127.0.0.1:56720/", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)</script>", html, StringComparison.Ordinal);
        Assert.Contains("exited with code 1 &lt;script&gt;", html, StringComparison.Ordinal);

        // htmx polls the fragment endpoint.
        Assert.Contains("hx-get=\"/system/resources\"", html, StringComparison.Ordinal);
        Assert.Contains("hx-trigger=\"every 5s\"", html, StringComparison.Ordinal);
        Assert.Contains("src=\"lib/htmx/htmx.min.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not reachable", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResourcesFragment_ReturnsTheTableAsAnHtmlFragment()
    {
        await using var generator = await StartServiceAsync(healthy: true);
        await using var appHost = await StartAppHostAsync(() => Results.Text(ResourcesJson(generator.Url, generator.Url), "application/json"));
        await using var dashboard = DashboardFactory.With(("services:apphost:http:0", appHost.Url));
        using var client = dashboard.CreateClient();
        client.DefaultRequestHeaders.Add("HX-Request", "true");

        using var response = await client.GetAsync("/system/resources");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        Assert.Contains("<table class=\"resources\">", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">ingestion</th>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<nav", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hx-get", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemPage_WhenTheAppHostIsUnreachable_SaysSo_AndProbesTheKnownServices()
    {
        await using var generator = await StartServiceAsync(healthy: true);
        var appHost = StubServer.ClosedAddress();
        await using var dashboard = DashboardFactory.With(
            ("services:apphost:http:0", appHost),
            ("services:generator:http:0", generator.Url));
        using var client = dashboard.CreateClient();

        using var response = await client.GetAsync("/system");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The app host is not reachable.", html, StringComparison.Ordinal);
        Assert.Contains($"GET {appHost}/api/resources failed:", html, StringComparison.Ordinal);
        Assert.Contains("Services probed directly", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">generator</th>", html, StringComparison.Ordinal);
        Assert.Contains("/health answered 200", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemPage_WithoutAnAppHost_ProbesEveryConfiguredService()
    {
        await using var generator = await StartServiceAsync(healthy: true);
        await using var ingestion = await StartServiceAsync(healthy: false);
        var gold = StubServer.ClosedAddress();
        await using var refinement = await StubServer.StartAsync(app => app.MapGet("/health", () => Results.Text(
            """{"status":"Unhealthy","durationMs":3.1,"checks":{"self":{"status":"Healthy"},"postgres":{"status":"Unhealthy","error":"refused"}}}""",
            "application/json", statusCode: StatusCodes.Status503ServiceUnavailable)));
        await using var dashboard = DashboardFactory.With(
            ("services:generator:http:0", generator.Url),
            ("services:ingestion:http:0", ingestion.Url),
            ("services:gold-modeling:http:0", gold),
            ("services:refinement:http:0", refinement.Url));
        using var client = dashboard.CreateClient();

        using var response = await client.GetAsync("/system/resources");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The app host is not reachable.", html, StringComparison.Ordinal);
        Assert.Contains("No address for the app host is configured (services:apphost:http:0)", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">generator</th>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">ingestion</th>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">gold-modeling</th>", html, StringComparison.Ordinal);
        Assert.Contains("/health answered 503 &quot;Unhealthy&quot;", html, StringComparison.Ordinal);
        Assert.Contains("/health answered 503 &quot;Unhealthy&quot; (failing: postgres)", html, StringComparison.Ordinal);
        Assert.Contains("4 resources: 1 healthy, 3 unhealthy or unreachable.", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemPage_WithNothingConfigured_SaysThereIsNothingToProbe()
    {
        await using var dashboard = DashboardFactory.With();
        using var client = dashboard.CreateClient();

        var html = await client.GetStringAsync("/system");

        Assert.Contains("The app host is not reachable.", html, StringComparison.Ordinal);
        Assert.Contains("No services are configured for this dashboard", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error", "answered 500 Internal Server Error")]
    [InlineData("garbage", "answered with JSON this dashboard cannot read")]
    [InlineData("slow", "got no answer within 0.5 s")]
    public async Task SystemPage_WhenTheAppHostAnswersBadly_ShowsTheProblemPlainly(string behaviour, string expected)
    {
        await using var appHost = await StubServer.StartAsync(app => app.MapGet("/api/resources", async () =>
        {
            switch (behaviour)
            {
                case "error":
                    return Results.StatusCode(StatusCodes.Status500InternalServerError);
                case "garbage":
                    return Results.Text("{\"name\": not json", "application/json");
                default:
                    await Task.Delay(TimeSpan.FromSeconds(3));
                    return Results.Text("[]", "application/json");
            }
        }));
        await using var dashboard = DashboardFactory.With(
            ("services:apphost:http:0", appHost.Url),
            ("Dashboard:SystemStatus:Timeout", "00:00:00.500"));
        using var client = dashboard.CreateClient();

        using var response = await client.GetAsync("/system");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("The app host is not reachable.", html, StringComparison.Ordinal);
        Assert.Contains(expected, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemPage_AsksTheAppHostOnce_WithoutRetries_SoItShowsWhatItSaw()
    {
        var calls = 0;
        await using var appHost = await StubServer.StartAsync(app => app.MapGet("/api/resources", () =>
        {
            Interlocked.Increment(ref calls);
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }));
        await using var dashboard = DashboardFactory.With(("services:apphost:http:0", appHost.Url));
        using var client = dashboard.CreateClient();

        var html = await client.GetStringAsync("/system/resources");

        Assert.Contains("answered 503 Service Unavailable", html, StringComparison.Ordinal);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task SystemPage_WhenTheAppHostReportsNoResources_SaysSo()
    {
        await using var appHost = await StartAppHostAsync(() => Results.Text("[]", "application/json"));
        await using var dashboard = DashboardFactory.With(("services:apphost:http:0", appHost.Url));
        using var client = dashboard.CreateClient();

        var html = await client.GetStringAsync("/system");

        Assert.Contains("The app host reports no resources.", html, StringComparison.Ordinal);
    }
}
