using System.Net;
using HealthMedallion.ServiceDefaults.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HealthMedallion.ServiceDefaults.Tests.Http;

public sealed class HttpClientDefaultsTests : IAsyncLifetime
{
    private WebApplication _upstream = null!;
    private WebApplication _service = null!;
    private Uri _address = null!;
    private int _calls;

    public async Task InitializeAsync()
    {
        // A real server that fails twice with 503, then answers.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _upstream = builder.Build();
        _upstream.Map("/flaky", () => Interlocked.Increment(ref _calls) <= 2 ? Results.StatusCode(503) : Results.Ok("fine"));
        await _upstream.StartAsync();
        _address = new Uri(_upstream.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

        var service = ProbeHost.CreateBuilder("http-probe", new Dictionary<string, string?>());
        service.AddServiceDefaults();
        _service = service.Build();
        await _service.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Get_TransientFailures_AreRetried()
    {
        using var client = _service.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        using var response = await client.GetAsync(new Uri(_address, "/flaky"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, _calls);
    }

    [Fact]
    public async Task Post_IsNeverRepeated()
    {
        using var client = _service.Services.GetRequiredService<IHttpClientFactory>().CreateClient();

        using var response = await client.PostAsync(new Uri(_address, "/flaky"), new StringContent("x"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(1, _calls);
    }
}
