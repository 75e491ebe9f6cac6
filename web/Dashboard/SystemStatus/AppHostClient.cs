using System.Net.Http.Json;
using System.Text.Json;

namespace HealthMedallion.Dashboard.SystemStatus;

/// <summary>Asks the app host for its resources. Failures come back as a sentence for the page, never as an exception.</summary>
public sealed class AppHostClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<(IReadOnlyList<AppHostResource>? Resources, string? Problem)> GetResourcesAsync(Uri appHost, CancellationToken cancellationToken)
    {
        var url = new Uri(appHost, "/api/resources");
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, $"GET {url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            var resources = await response.Content.ReadFromJsonAsync<List<AppHostResource?>>(Json, cancellationToken);
            if (resources is null)
            {
                return (null, $"GET {url} answered null instead of a list of resources.");
            }

            return (resources.OfType<AppHostResource>().Where(r => !string.IsNullOrEmpty(r.Name)).ToList(), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"GET {url} got no answer within {http.Timeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException e)
        {
            return (null, $"GET {url} failed: {e.Message}");
        }
        catch (JsonException e)
        {
            return (null, $"GET {url} answered with JSON this dashboard cannot read: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            return (null, $"GET {url} did not answer JSON: {e.Message}");
        }
    }
}
