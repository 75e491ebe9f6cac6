namespace HealthMedallion.ServiceDefaults.Messaging;

/// <summary>A RabbitMQ broker address parsed from an AMQP URI: <c>amqp[s]://user:password@host[:port][/vhost]</c>.</summary>
public sealed record RabbitMqAddress(string Host, int Port, string VirtualHost, string UserName, string Password, bool UseTls)
{
    public static RabbitMqAddress Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);

        if (!Uri.TryCreate(connectionString.Trim(), UriKind.Absolute, out var uri)
            || uri.Scheme is not ("amqp" or "amqps")
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("The messaging connection string must be an AMQP URI: amqp://user:password@host:port/vhost.");
        }

        var useTls = uri.Scheme == "amqps";
        var port = uri.IsDefaultPort || uri.Port < 0 ? (useTls ? 5671 : 5672) : uri.Port;

        // The AMQP URI spec: the path (without its leading '/') is the percent-encoded vhost, absent means "/".
        var path = uri.AbsolutePath.TrimStart('/');
        var virtualHost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);

        var userName = "guest";
        var password = "guest";
        if (uri.UserInfo.Length > 0)
        {
            var separator = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            userName = Uri.UnescapeDataString(separator < 0 ? uri.UserInfo : uri.UserInfo[..separator]);
            password = separator < 0 ? string.Empty : Uri.UnescapeDataString(uri.UserInfo[(separator + 1)..]);
        }

        return new RabbitMqAddress(uri.Host, port, virtualHost, userName, password, useTls);
    }

    /// <summary>The address without its credentials, for logs and errors.</summary>
    public override string ToString() => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{Uri.EscapeDataString(VirtualHost)}";
}
