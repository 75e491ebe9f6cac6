using HealthMedallion.ServiceDefaults.Messaging;

namespace HealthMedallion.ServiceDefaults.Tests.Messaging;

public sealed class RabbitMqAddressTests
{
    [Theory]
    [InlineData("amqp://user:p%40ss@rabbit:5673/tenant-a", "rabbit", 5673, "tenant-a", "user", "p@ss", false)]
    [InlineData("amqp://guest:hunter2@127.0.0.1:5672/", "127.0.0.1", 5672, "/", "guest", "hunter2", false)]
    [InlineData("amqp://127.0.0.1", "127.0.0.1", 5672, "/", "guest", "guest", false)]
    [InlineData("amqp://u:s3cret@h/%2Fstaging", "h", 5672, "/staging", "u", "s3cret", false)]
    [InlineData("amqps://u:s3cret@h", "h", 5671, "/", "u", "s3cret", true)]
    public void Parse_TakesTheVirtualHostFromThePath(string uri, string host, int port, string vhost, string user, string password, bool tls)
    {
        var address = RabbitMqAddress.Parse(uri);

        Assert.Equal(new RabbitMqAddress(host, port, vhost, user, password, tls), address);
        Assert.DoesNotContain(password, address.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rabbit:5672")]
    [InlineData("http://rabbit:15672/")]
    public void Parse_NotAnAmqpUri_FailsSayingWhatIsExpected(string connectionString) =>
        Assert.Contains("amqp://", Assert.Throws<FormatException>(() => RabbitMqAddress.Parse(connectionString)).Message, StringComparison.Ordinal);
}
