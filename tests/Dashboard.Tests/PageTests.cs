using System.Net;

namespace HealthMedallion.Dashboard.Tests;

public sealed class PageTests : IClassFixture<PageTests.Host>
{
    public sealed class Host : IAsyncLifetime
    {
        public DashboardFactory Dashboard { get; } = DashboardFactory.With();

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync() => await Dashboard.DisposeAsync();
    }

    private readonly HttpClient _client;

    public PageTests(Host host) => _client = host.Dashboard.CreateClient();

    [Theory]
    [InlineData("/", "Overview")]
    [InlineData("/patients", "Patients")]
    [InlineData("/claims", "Claims")]
    [InlineData("/medical-events", "Medical events")]
    [InlineData("/quality", "Data quality")]
    [InlineData("/features", "Features")]
    public async Task PageNotBuiltYet_SaysItComesLater_AndShowsNoFigures(string path, string title)
    {
        using var response = await _client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"<title>{title} · HealthMedallion</title>", html, StringComparison.Ordinal);
        Assert.Contains($"<h1>{title}</h1>", html, StringComparison.Ordinal);
        Assert.Contains("This page is not built yet.", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<canvas", html, StringComparison.Ordinal);
        Assert.DoesNotContain("echarts", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"{path}\" aria-current=\"page\">{title}</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Layout_HasSkipLink_MainLandmark_AndNavigationToEveryPage()
    {
        var html = await _client.GetStringAsync("/claims");

        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Contains("<a class=\"skip-link\" href=\"#main\">", html, StringComparison.Ordinal);
        Assert.Contains("<main id=\"main\"", html, StringComparison.Ordinal);
        Assert.Contains("<nav aria-label=\"Main\">", html, StringComparison.Ordinal);
        foreach (var href in new[] { "/", "/patients", "/claims", "/medical-events", "/quality", "/features", "/system" })
        {
            Assert.Contains($"<a href=\"{href}\"", html, StringComparison.Ordinal);
        }

        Assert.Single(html.Split("aria-current=\"page\"").Skip(1));
    }

    [Fact]
    public async Task UnknownPath_AnswersNotFound_WithAPage()
    {
        using var response = await _client.GetAsync("/no-such-page");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/lib/htmx/htmx.min.js", "htmx")]
    [InlineData("/lib/echarts/echarts.min.js", "echarts")]
    [InlineData("/lib/pico/pico.min.css", "Pico")]
    [InlineData("/css/site.css", ".badge")]
    [InlineData("/js/dashboard.js", "htmx:sendError")]
    public async Task BrowserFiles_FromNpmAndTheSite_AreServed(string path, string marker)
    {
        using var response = await _client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(marker, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_IsMapped()
    {
        using var response = await _client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
