using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace HealthMedallion.ServiceDefaults.Http;

/// <summary>
/// Every HttpClient from the factory retries transient failures of requests that are safe to repeat, and
/// gives up after a bounded time instead of the 100 s default.
/// </summary>
internal static class HttpClientDefaults
{
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(30);
    public const int MaxRetries = 3;

    public static void AddHttpClientDefaults(this IHostApplicationBuilder builder)
    {
        // One pipeline for the whole process: it keeps no per-request state.
        var pipeline = CreatePipeline();
        builder.Services.ConfigureHttpClientDefaults(http =>
            http.AddHttpMessageHandler(() => new TransientFailureHandler(pipeline)));
    }

    internal static ResiliencePipeline<HttpResponseMessage> CreatePipeline() =>
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddTimeout(TotalTimeout)
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            })
            .AddTimeout(AttemptTimeout)
            .Build();

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException
        || outcome.Result is { } response
            && ((int)response.StatusCode >= 500
                || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    private sealed class TransientFailureHandler(ResiliencePipeline<HttpResponseMessage> pipeline) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // A request with a body, or one that may change state twice, is sent once: repeating it is not safe.
            if (request.Content is not null || !IsIdempotent(request.Method))
            {
                return await base.SendAsync(request, cancellationToken);
            }

            return await pipeline.ExecuteAsync(
                static async (state, token) => await state.Handler.SendCoreAsync(state.Request, token),
                (Handler: this, Request: request),
                cancellationToken);
        }

        private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            base.SendAsync(request, cancellationToken);

        private static bool IsIdempotent(HttpMethod method) =>
            method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options
            || method == HttpMethod.Delete || method == HttpMethod.Put || method == HttpMethod.Trace;
    }
}
