using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace HealthMedallion.ServiceDefaults.Telemetry;

internal static class OpenTelemetrySetup
{
    /// <summary>
    /// Traces and metrics come from providers built with <see cref="Sdk"/> (OpenTelemetry.Extensions.Hosting
    /// is not available) and owned by the container, so they are flushed and disposed with the host.
    /// </summary>
    public static void AddOpenTelemetry(this IHostApplicationBuilder builder, ServiceIdentity identity)
    {
        var otlp = OtlpSettings.From(builder.Configuration);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.SetResourceBuilder(CreateResource(identity));
            if (otlp is not null)
            {
                logging.AddOtlpExporter(options => otlp.Apply(options, "logs"));
            }
        });

        builder.Services.AddSingleton(_ =>
        {
            var tracing = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(CreateResource(identity))
                .AddSource([.. TelemetrySources.ActivitySources, identity.Name]);
            if (otlp is not null)
            {
                tracing.AddOtlpExporter(options => otlp.Apply(options, "traces"));
            }

            return tracing.Build();
        });

        builder.Services.AddSingleton(_ =>
        {
            var metrics = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(CreateResource(identity))
                .AddMeter([.. TelemetrySources.Meters, identity.Name]);
            if (otlp is not null)
            {
                metrics.AddOtlpExporter(options => otlp.Apply(options, "metrics"));
            }

            return metrics.Build();
        });

        builder.Services.AddHostedService<TelemetryProviders>();
    }

    private static ResourceBuilder CreateResource(ServiceIdentity identity) =>
        ResourceBuilder.CreateDefault().AddService(identity.Name, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId);

    /// <summary>The OTLP settings from configuration (environment variables or appsettings).</summary>
    private sealed record OtlpSettings(Uri Endpoint, OtlpExportProtocol Protocol, string? Headers)
    {
        public static OtlpSettings? From(IConfiguration configuration)
        {
            var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
            if (string.IsNullOrWhiteSpace(endpoint))
            {
                return null;
            }

            var protocol = string.Equals(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
                ? OtlpExportProtocol.HttpProtobuf
                : OtlpExportProtocol.Grpc;
            return new OtlpSettings(new Uri(endpoint, UriKind.Absolute), protocol, configuration["OTEL_EXPORTER_OTLP_HEADERS"]);
        }

        public void Apply(OtlpExporterOptions options, string signal)
        {
            options.Protocol = Protocol;

            // An endpoint set in code is used as is; over HTTP the signal's path must be added by hand
            // (the exporter only appends it when it reads the environment variable itself).
            options.Endpoint = Protocol == OtlpExportProtocol.HttpProtobuf
                ? new Uri(Endpoint.AbsoluteUri.TrimEnd('/') + "/v1/" + signal)
                : Endpoint;
            if (!string.IsNullOrWhiteSpace(Headers))
            {
                options.Headers = Headers;
            }
        }
    }
}
