using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HealthMedallion.Gateway.Tests;

/// <summary>
/// A real Kestrel server on a free loopback port that stands in for one replica of a service:
/// it answers <c>/health</c> (healthy or not, switchable while it runs) and echoes every other request as JSON.
/// </summary>
public sealed class EchoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _healthProbes;
    private volatile bool _healthy;

    private EchoBackend(string name, bool healthy)
    {
        Name = name;
        _healthy = healthy;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        _app = builder.Build();

        _app.MapGet("/health", () =>
        {
            Interlocked.Increment(ref _healthProbes);
            return _healthy
                ? Results.Text("Healthy")
                : Results.Text("Unhealthy", statusCode: (int)HttpStatusCode.ServiceUnavailable);
        });
        _app.Map("/{**path}", (HttpRequest request) => Results.Json(new Echo(
            Name,
            request.Method,
            request.Path.Value ?? "",
            request.QueryString.Value ?? "")));
    }

    public string Name { get; }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url => _app.Urls.Single().TrimEnd('/');

    public int HealthProbes => Volatile.Read(ref _healthProbes);

    /// <summary>Whether <c>/health</c> answers 200 (else 503).</summary>
    public bool Healthy
    {
        get => _healthy;
        set => _healthy = value;
    }

    public static async Task<EchoBackend> StartAsync(string name, bool healthy = true)
    {
        var backend = new EchoBackend(name, healthy);
        await backend._app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record Echo(string Backend, string Method, string Path, string Query);
