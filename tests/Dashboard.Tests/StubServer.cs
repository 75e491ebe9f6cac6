using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.Dashboard.Tests;

/// <summary>A real Kestrel server on a free loopback port, answering whatever the test maps.</summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubServer(WebApplication app) => _app = app;

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url => _app.Urls.Single().TrimEnd('/');

    public static async Task<StubServer> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new StubServer(app);
    }

    /// <summary>An address where nothing listens: the port was free a moment ago and is closed again.</summary>
    public static string ClosedAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
