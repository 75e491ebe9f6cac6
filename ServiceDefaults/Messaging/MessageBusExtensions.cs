using System.Security.Authentication;
using HealthMedallion.ServiceDefaults;
using HealthMedallion.ServiceDefaults.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class MessageBusExtensions
{
    /// <summary>The connection string name of the RabbitMQ resource.</summary>
    public const string ConnectionName = "messaging";

    /// <summary>
    /// MassTransit on RabbitMQ from <c>ConnectionStrings:messaging</c>. Receive endpoints are kebab-case and
    /// prefixed with the service name (<c>quality-monitor-bronze-batch-ingested</c>), so two services consuming
    /// the same event each get their own queue (and their own copy) instead of competing for one.
    /// </summary>
    /// <remarks>
    /// A consumer that throws is retried in memory with exponential back-off (<see cref="MessageBusOptions"/>),
    /// the message staying unacknowledged meanwhile; if every try fails MassTransit moves it to
    /// <c>&lt;queue&gt;_error</c> with the fault in its headers, and only then acknowledges it. A crash mid-retry
    /// leaves it unacknowledged, so RabbitMQ redelivers it.
    /// No delayed redelivery (second-level retry): on RabbitMQ, MassTransit's <c>UseDelayedRedelivery</c> needs
    /// the delayed-message-exchange plugin (exchange type <c>x-delayed-message</c>), which Debian's RabbitMQ 3.10
    /// does not ship; moving an error queue back (<c>rabbitmqadmin</c>/shovel) is the manual redelivery instead.
    /// </remarks>
    public static TBuilder AddMessageBus<TBuilder>(this TBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        var identity = ServiceIdentity.Register(builder);
        builder.Services.AddOptions<MessageBusOptions>().BindConfiguration(MessageBusOptions.SectionName);

        // The host does not finish starting (so does not serve, nor report ready) before the bus has connected
        // and bound its queues: an event published right after start-up is never missed.
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(options =>
        {
            options.WaitUntilStarted = true;
            options.StartTimeout = TimeSpan.FromSeconds(60);
            options.StopTimeout = TimeSpan.FromSeconds(30);
            options.ConsumerStopTimeout = TimeSpan.FromSeconds(20);
        });

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(identity.PascalCaseName, includeNamespace: false));
            bus.ConfigureHealthCheckOptions(health => health.Name = "messaging");

            // MassTransit reports usage to its vendor over the internet by default: no service of ours calls out.
            bus.DisableUsageTelemetry();

            configure?.Invoke(bus);

            bus.UsingRabbitMq((context, rabbit) =>
            {
                var address = RabbitMqAddress.Parse(
                    ConnectionStrings.GetRequired(context.GetRequiredService<IConfiguration>(), ConnectionName));
                rabbit.Host(address.Host, (ushort)address.Port, address.VirtualHost, host =>
                {
                    host.Username(address.UserName);
                    host.Password(address.Password);
                    if (address.UseTls)
                    {
                        host.UseSsl(tls => tls.Protocol = SslProtocols.Tls12 | SslProtocols.Tls13);
                    }
                });

                var options = context.GetRequiredService<IOptions<MessageBusOptions>>().Value;
                rabbit.UseMessageRetry(retry => retry.Exponential(
                    options.RetryLimit,
                    options.RetryMinInterval,
                    options.RetryMaxInterval,
                    options.RetryIntervalDelta));

                rabbit.ConfigureEndpoints(context);
            });
        });
        return builder;
    }
}
