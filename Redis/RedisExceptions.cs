namespace HealthMedallion.Redis;

/// <summary>Base type of every failure this client reports, so callers can catch one type.</summary>
public class RedisException : Exception
{
    public RedisException()
    {
    }

    public RedisException(string message)
        : base(message)
    {
    }

    public RedisException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server answered with an error reply (<c>-ERR ...</c>, <c>-WRONGTYPE ...</c>).
/// <see cref="Exception.Message"/> is the server's message, unchanged.</summary>
public sealed class RedisServerException : RedisException
{
    public RedisServerException()
        : this("ERR")
    {
    }

    public RedisServerException(string message)
        : base(message) => ErrorCode = CodeOf(message);

    public RedisServerException(string message, Exception? innerException)
        : base(message, innerException) => ErrorCode = CodeOf(message);

    /// <summary>The first word of the server's message, by Redis convention the error kind: <c>ERR</c>, <c>WRONGTYPE</c>, <c>NOSCRIPT</c>, ...</summary>
    public string ErrorCode { get; }

    private static string CodeOf(string message)
    {
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? message : message[..space];
    }
}

/// <summary>No connection could be made, or it broke while the command was queued or in flight.
/// A command that was already sent may or may not have been executed by the server.</summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException()
    {
    }

    public RedisConnectionException(string message)
        : base(message)
    {
    }

    public RedisConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The command was sent but its reply did not arrive within <see cref="RedisOptions.CommandTimeout"/>.
/// The command may still run on the server; its late reply is read and discarded, so later commands are unaffected.</summary>
public sealed class RedisTimeoutException : RedisException
{
    public RedisTimeoutException()
    {
    }

    public RedisTimeoutException(string message)
        : base(message)
    {
    }

    public RedisTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
