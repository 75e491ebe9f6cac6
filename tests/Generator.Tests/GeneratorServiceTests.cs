using System.Text;
using HealthMedallion.Contracts;
using HealthMedallion.TestSupport;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace HealthMedallion.Generator.Tests;

public sealed class GeneratorServiceTests(IsolatedServices services)
    : ServiceContractTests<Program>(services, new("generator", Extensions.Schema, "/api/generator"))
{
    [Fact]
    public async Task LandingFileCreated_PublishedByTheGenerator_ReachesSubscribers()
    {
        // Arrange: a queue of our own bound to the event's exchange, as a consuming service's would be.
        var id = Guid.NewGuid();
        var connection = await new ConnectionFactory { Uri = new Uri(Isolated.RabbitMq) }.CreateConnectionAsync();
        await using (connection)
        {
            await using var channel = await connection.CreateChannelAsync();
            const string exchange = "HealthMedallion.Contracts:LandingFileCreated";
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, exchange, string.Empty);

            // Act
            await Host.Services.GetRequiredService<IBus>().Publish(
                new LandingFileCreated(id, $"landing/claims/{id}.csv", Entities.Claims, "CLAIMS_SYSTEM", 42, new string('b', 64)));

            // Assert
            var deadline = DateTime.UtcNow + Patience;
            BasicGetResult? message;
            while ((message = await channel.BasicGetAsync(queue, autoAck: true)) is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "The published event did not arrive.");
                await Task.Delay(50);
            }

            Assert.Contains(id.ToString(), Encoding.UTF8.GetString(message.Body.Span), StringComparison.Ordinal);
        }
    }
}
