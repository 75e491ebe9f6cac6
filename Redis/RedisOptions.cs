using System.Globalization;
using System.Net.Security;

namespace HealthMedallion.Redis;

/// <summary>Where and how to connect. Usually built by <see cref="Parse"/> from the connection string
/// Aspire writes (<c>ConnectionStrings__redis</c>): <c>host:port,password=...</c>.</summary>
public sealed record RedisOptions
{
    public const int DefaultPort = 6379;

    public string Host { get; init; } = "localhost";

    public int Port { get; init; } = DefaultPort;

    /// <summary>ACL user name for <c>AUTH user password</c>; null means the default user (<c>AUTH password</c>).</summary>
    public string? User { get; init; }

    /// <summary>Sent with AUTH on every (re)connect; null means no AUTH.</summary>
    public string? Password { get; init; }

    /// <summary>Selected with SELECT on every (re)connect.</summary>
    public int Database { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may take from the call to its reply, including waiting for a connection.
    /// <see cref="Timeout.InfiniteTimeSpan"/> disables it (cancellation tokens still work).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Wrap the connection in TLS, validating the server certificate against <see cref="Host"/>.</summary>
    public bool Ssl { get; init; }

    /// <summary>Decides whether to trust the server's TLS certificate (a private CA, a pinned certificate);
    /// null trusts what the system trusts. Not part of the connection string.</summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; init; }

    /// <summary>Parses <c>host[:port][,option=value]*</c>. Options (case-insensitive): <c>password</c>, <c>user</c>,
    /// <c>defaultDatabase</c>, <c>connectTimeout</c> (ms), <c>syncTimeout</c> / <c>asyncTimeout</c> /
    /// <c>commandTimeout</c> (ms), <c>ssl</c>. Unknown options (<c>abortConnect</c>, <c>name</c>, ...) are ignored,
    /// as other StackExchange.Redis-style connection strings carry them.</summary>
    /// <exception cref="FormatException">The string is empty, names no or several endpoints, or an option has a bad value; the message names the part.</exception>
    public static RedisOptions Parse(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The Redis connection string is empty; expected 'host:port[,password=...]'.");
        }

        var options = new RedisOptions();
        string? endpoint = null;
        foreach (var rawPart in connectionString.Split(','))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            // Split at the first '=' only: passwords may contain '=' (base64).
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                if (endpoint is not null)
                {
                    throw new FormatException(
                        $"The Redis connection string names more than one endpoint ('{endpoint}' and '{part}'); only a single server is supported.");
                }

                endpoint = part;
                options = ParseEndpoint(options, part);
                continue;
            }

            var name = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            options = name.ToUpperInvariant() switch
            {
                "PASSWORD" => options with { Password = value.Length == 0 ? null : value },
                "USER" => options with { User = value.Length == 0 ? null : value },
                "DEFAULTDATABASE" => options with { Database = ParseInt(name, value, min: 0) },
                "CONNECTTIMEOUT" => options with { ConnectTimeout = ParseMilliseconds(name, value) },
                "SYNCTIMEOUT" or "ASYNCTIMEOUT" or "COMMANDTIMEOUT" => options with { CommandTimeout = ParseMilliseconds(name, value) },
                "SSL" => options with { Ssl = ParseBool(name, value) },
                _ => options,
            };
        }

        return endpoint is null
            ? throw new FormatException("The Redis connection string has no 'host:port' endpoint, only options.")
            : options;
    }

    /// <summary>The connection string form, with the password masked so the options can be logged.</summary>
    public override string ToString()
    {
        var text = EndPoint;
        if (User is not null)
        {
            text += $",user={User}";
        }

        if (Password is not null)
        {
            text += ",password=*****";
        }

        return text + string.Create(
            CultureInfo.InvariantCulture,
            $",defaultDatabase={Database},connectTimeout={(long)ConnectTimeout.TotalMilliseconds},commandTimeout={(long)CommandTimeout.TotalMilliseconds},ssl={(Ssl ? "true" : "false")}");
    }

    /// <summary><c>host:port</c>, for messages.</summary>
    internal string EndPoint => string.Create(
        CultureInfo.InvariantCulture,
        $"{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");

    private static RedisOptions ParseEndpoint(RedisOptions options, string endpoint)
    {
        string host;
        string? port = null;
        if (endpoint.StartsWith('['))
        {
            // [IPv6]:port
            var close = endpoint.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < endpoint.Length && endpoint[close + 1] != ':'))
            {
                throw new FormatException($"The Redis endpoint '{endpoint}' is not a valid '[IPv6]:port'.");
            }

            host = endpoint[1..close];
            port = close + 1 < endpoint.Length ? endpoint[(close + 2)..] : null;
        }
        else if (endpoint.Count(c => c == ':') > 1)
        {
            host = endpoint; // a bare IPv6 address, no port
        }
        else
        {
            var colon = endpoint.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? endpoint : endpoint[..colon];
            port = colon < 0 ? null : endpoint[(colon + 1)..];
        }

        if (host.Length == 0)
        {
            throw new FormatException($"The Redis endpoint '{endpoint}' has no host.");
        }

        if (port is null)
        {
            return options with { Host = host, Port = DefaultPort };
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw new FormatException($"The port '{port}' of Redis endpoint '{endpoint}' is not a number from 1 to 65535.");
        }

        return options with { Host = host, Port = number };
    }

    private static int ParseInt(string name, string value, int min)
    {
        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number >= min
            ? number
            : throw new FormatException($"The Redis option '{name}' must be an integer >= {min}, not '{value}'.");
    }

    private static TimeSpan ParseMilliseconds(string name, string value)
    {
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new FormatException($"The Redis option '{name}' must be a positive number of milliseconds, not '{value}'.");
    }

    private static bool ParseBool(string name, string value)
    {
        return bool.TryParse(value, out var flag)
            ? flag
            : throw new FormatException($"The Redis option '{name}' must be 'true' or 'false', not '{value}'.");
    }
}
