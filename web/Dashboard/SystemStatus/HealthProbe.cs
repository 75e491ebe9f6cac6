using System.Diagnostics;
using System.Text.Json;

namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>Calls a service's <c>/health</c> endpoint (mapped by every service's defaults) and says what it found.</summary>
public sealed class HealthProbe(HttpClient http)
{
    private const int MaxBodyChars = 4096;

    public async Task<HealthReading> ProbeAsync(Uri service, CancellationToken cancellationToken)
    {
        var url = new Uri(service, "/health");
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var report = Describe(await ReadStartAsync(response, cancellationToken));
            var answer = $"/health answered {(int)response.StatusCode}{(report.Length > 0 ? $" {report}" : "")} in {elapsed.TotalMilliseconds:0} ms";
            return new HealthReading(response.IsSuccessStatusCode ? HealthVerdict.Healthy : HealthVerdict.Unhealthy, answer);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthReading(HealthVerdict.Unreachable, $"/health gave no answer within {http.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new HealthReading(HealthVerdict.Unreachable, $"/health could not be reached: {e.Message}");
        }
    }

    /// <summary>
    /// The services' health report is JSON (<c>{"status":"Unhealthy","checks":{"postgres":{"status":"Unhealthy"}}}</c>):
    /// say its status and which checks fail. A plain answer ("Healthy") is shown as it is when short.
    /// </summary>
    public static string Describe(string body)
    {
        body = body.Trim();
        if (body.StartsWith('{'))
        {
            try
            {
                using var report = JsonDocument.Parse(body);
                var root = report.RootElement;
                var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                var failing = root.TryGetProperty("checks", out var checks) && checks.ValueKind == JsonValueKind.Object
                    ? checks.EnumerateObject()
                        .Where(c => c.Value.ValueKind == JsonValueKind.Object
                            && c.Value.TryGetProperty("status", out var cs) && cs.GetString() != "Healthy")
                        .Select(c => c.Name)
                        .ToList()
                    : [];
                return (status, failing.Count) switch
                {
                    (null, _) => "",
                    (_, 0) => $"\"{status}\"",
                    _ => $"\"{status}\" (failing: {string.Join(", ", failing)})",
                };
            }
            catch (JsonException)
            {
                return "";
            }
        }

        return body.Length is > 0 and <= 40 && !body.Contains('<', StringComparison.Ordinal) ? $"\"{body}\"" : "";
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream);
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer, cancellationToken);
        return new string(buffer, 0, read);
    }
}
