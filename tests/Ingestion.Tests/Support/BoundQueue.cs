using System.Net.Http.Json;
using System.Text.Json;
using HealthMedallion.TestSupport;

namespace HealthMedallion.Ingestion.Tests.Support;

/// <summary>A queue of our own bound to the exchange MassTransit publishes a message type to: what was really published.</summary>
public sealed class BoundQueue : IDisposable
{
    private readonly HttpClient _management;
    private readonly string _vhost;
    private readonly string _queue;

    private BoundQueue(HttpClient management, string vhost, string queue)
    {
        _management = management;
        _vhost = vhost;
        _queue = queue;
    }

    /// <summary>Binds a new queue to the exchange of <typeparamref name="T"/> (declared as MassTransit declares it).</summary>
    public static async Task<BoundQueue> CreateAsync<T>(IsolatedServices services)
    {
        var management = services.ManagementClient();
        var vhost = Uri.EscapeDataString(services.VirtualHost);
        var exchange = Uri.EscapeDataString($"{typeof(T).Namespace}:{typeof(T).Name}");
        var queue = "test-" + Guid.NewGuid().ToString("N")[..8];
        (await management.PutAsJsonAsync($"api/exchanges/{vhost}/{exchange}", new { type = "fanout", durable = true, auto_delete = false })).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"api/queues/{vhost}/{queue}", new { durable = false, auto_delete = false })).EnsureSuccessStatusCode();
        (await management.PostAsJsonAsync($"api/bindings/{vhost}/e/{exchange}/q/{queue}", new { })).EnsureSuccessStatusCode();
        return new BoundQueue(management, vhost, queue);
    }

    /// <summary>Takes the messages that arrived so far (their <c>message</c> part of MassTransit's envelope).</summary>
    public async Task<List<JsonElement>> TakeAsync()
    {
        using var response = await _management.PostAsJsonAsync($"api/queues/{_vhost}/{_queue}/get", new { count = 1000, ackmode = "ack_requeue_false", encoding = "auto" });
        response.EnsureSuccessStatusCode();
        var items = await response.Content.ReadFromJsonAsync<JsonElement>();
        return items.EnumerateArray()
            .Select(item => JsonDocument.Parse(item.GetProperty("payload").GetString()!).RootElement.GetProperty("message").Clone())
            .ToList();
    }

    /// <summary>Collects messages until <paramref name="condition"/> holds over all collected so far, or the patience runs out.</summary>
    public async Task<List<JsonElement>> CollectUntilAsync(Func<List<JsonElement>, bool> condition, TimeSpan patience)
    {
        var collected = new List<JsonElement>();
        await Eventually.TrueAsync(
            async () =>
            {
                collected.AddRange(await TakeAsync());
                return condition(collected);
            },
            patience,
            TimeSpan.FromMilliseconds(200));
        return collected;
    }

    public void Dispose() => _management.Dispose();
}
