using System.Collections.Concurrent;
using System.Text;
using HealthMedallion.ServiceDefaults.Tests.Support;
using HealthMedallion.TestSupport;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;

namespace HealthMedallion.ServiceDefaults.Tests.Messaging;

public sealed class MessageBusTests(IsolatedServices services) : IClassFixture<IsolatedServices>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConsumerThatThrows_IsRetried_ThenTheMessageLandsInTheErrorQueue()
    {
        // Arrange: 2 retries, fast.
        var attempts = new Attempts();
        await using var app = await StartAsync("failing-probe", attempts, bus => bus.AddConsumer<RejectingConsumer>(), new()
        {
            ["MessageBus:RetryLimit"] = "2",
            ["MessageBus:RetryMinInterval"] = "00:00:00.050",
            ["MessageBus:RetryMaxInterval"] = "00:00:00.200",
            ["MessageBus:RetryIntervalDelta"] = "00:00:00.050",
        });
        var id = Guid.NewGuid();

        // Act
        await app.Services.GetRequiredService<IBus>().Publish(new ProbeRejected(id));

        // Assert: the faulted message is kept, with the exception, in the consumer queue's _error queue.
        await using var broker = await Broker.ConnectAsync(services.RabbitMq);
        var faulted = await broker.WaitForMessageAsync("failing-probe-rejecting_error", Patience);
        Assert.Contains(id.ToString(), Encoding.UTF8.GetString(faulted.Body.Span), StringComparison.Ordinal);
        Assert.Contains("rejected on purpose", Header(faulted, "MT-Fault-Message"), StringComparison.Ordinal);
        Assert.Equal(3, attempts.Of(id));
        Assert.Equal(0u, await broker.MessageCountAsync("failing-probe-rejecting"));
    }

    [Fact]
    public async Task TwoServicesConsumingTheSameEvent_EachGetItsOwnQueueAndCopy()
    {
        // Arrange
        var alphaAttempts = new Attempts();
        var betaAttempts = new Attempts();
        await using var alpha = await StartAsync("alpha-probe", alphaAttempts, bus => bus.AddConsumer<SharedConsumer>());
        await using var beta = await StartAsync("beta-probe", betaAttempts, bus => bus.AddConsumer<SharedConsumer>());
        var id = Guid.NewGuid();

        // Act
        await alpha.Services.GetRequiredService<IBus>().Publish(new ProbeShared(id));

        // Assert
        await alphaAttempts.WaitForAsync(id, Patience);
        await betaAttempts.WaitForAsync(id, Patience);
        await using var broker = await Broker.ConnectAsync(services.RabbitMq);
        Assert.Equal(0u, await broker.MessageCountAsync("alpha-probe-shared"));
        Assert.Equal(0u, await broker.MessageCountAsync("beta-probe-shared"));
    }

    private async Task<WebApplication> StartAsync(
        string serviceName, Attempts attempts, Action<IBusRegistrationConfigurator> configure, Dictionary<string, string?>? settings = null)
    {
        var builder = ProbeHost.CreateBuilder(serviceName, new Dictionary<string, string?>(settings ?? [])
        {
            ["ConnectionStrings:messaging"] = services.RabbitMq,
        });
        builder.AddServiceDefaults();
        builder.AddMessageBus(configure);
        builder.Services.AddSingleton(attempts);
        var app = builder.Build();
        await app.StartAsync();
        return app;
    }

    private static string Header(BasicGetResult message, string name)
    {
        object? value = null;
        message.BasicProperties.Headers?.TryGetValue(name, out value);
        return value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString() ?? string.Empty;
    }

    /// <summary>How often each message reached a consumer.</summary>
    public sealed class Attempts
    {
        private readonly ConcurrentDictionary<Guid, int> _counts = new();

        public void Record(Guid id) => _counts.AddOrUpdate(id, 1, (_, count) => count + 1);

        public int Of(Guid id) => _counts.GetValueOrDefault(id);

        public async Task WaitForAsync(Guid id, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Of(id) == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, $"Message {id} was not consumed within {timeout}.");
                await Task.Delay(50);
            }
        }
    }

    public sealed class RejectingConsumer(Attempts attempts) : IConsumer<ProbeRejected>
    {
        public Task Consume(ConsumeContext<ProbeRejected> context)
        {
            attempts.Record(context.Message.Id);
            throw new InvalidOperationException($"Message {context.Message.Id} rejected on purpose.");
        }
    }

    public sealed class SharedConsumer(Attempts attempts) : IConsumer<ProbeShared>
    {
        public Task Consume(ConsumeContext<ProbeShared> context)
        {
            attempts.Record(context.Message.Id);
            return Task.CompletedTask;
        }
    }

    /// <summary>A plain AMQP client on the test class's vhost, to look at queues the way an operator would.</summary>
    private sealed class Broker(IConnection connection, IChannel channel) : IAsyncDisposable
    {
        public static async Task<Broker> ConnectAsync(string amqpUri)
        {
            var connection = await new ConnectionFactory { Uri = new Uri(amqpUri) }.CreateConnectionAsync();
            return new Broker(connection, await connection.CreateChannelAsync());
        }

        public async Task<BasicGetResult> WaitForMessageAsync(string queue, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                try
                {
                    if (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
                    {
                        return message;
                    }
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (DateTime.UtcNow < deadline)
                {
                    // The queue does not exist yet (it is declared when the first fault is moved); the channel is closed.
                    await channel.DisposeAsync();
                    channel = await connection.CreateChannelAsync();
                }

                Assert.True(DateTime.UtcNow < deadline, $"No message in {queue} within {timeout}.");
                await Task.Delay(100);
            }
        }

        public async Task<uint> MessageCountAsync(string queue) => (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;

        public async ValueTask DisposeAsync()
        {
            await channel.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
