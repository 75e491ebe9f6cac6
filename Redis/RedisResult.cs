using System.Globalization;
using System.Text;

namespace HealthMedallion.Redis;

public enum RedisResultType
{
    Null,
    SimpleString,
    BulkString,
    Integer,
    Array,

    /// <summary>An error reply nested in an array (a top-level error reply throws <see cref="RedisServerException"/> instead).</summary>
    Error,
}

/// <summary>A reply of any shape, for <see cref="RedisConnection.ExecuteAsync(string, object[])"/> and scripts, whose
/// reply type depends on the command or script.</summary>
public sealed class RedisResult
{
    public static readonly RedisResult Null = new(RedisResultType.Null, null, 0);

    private readonly object? _value; // string (simple, error), byte[] (bulk) or RedisResult[] (array)
    private readonly long _integer;

    private RedisResult(RedisResultType type, object? value, long integer)
    {
        Type = type;
        _value = value;
        _integer = integer;
    }

    public RedisResultType Type { get; }

    public bool IsNull => Type == RedisResultType.Null;

    /// <summary>The text of a string, the digits of an integer, the message of a nested error; null for a null reply.</summary>
    /// <exception cref="InvalidOperationException">The reply is an array.</exception>
    public string? AsString() => Type switch
    {
        RedisResultType.Null => null,
        RedisResultType.SimpleString or RedisResultType.Error => (string)_value!,
        RedisResultType.BulkString => Encoding.UTF8.GetString((byte[])_value!),
        RedisResultType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException("An array reply has no single string value; use AsArray()."),
    };

    /// <summary>The raw bytes of a bulk string (or the UTF-8 of another scalar); null for a null reply.</summary>
    public byte[]? AsBytes() => Type switch
    {
        RedisResultType.BulkString => (byte[])_value!,
        _ => AsString() is { } text ? Encoding.UTF8.GetBytes(text) : null,
    };

    /// <summary>An integer reply, or a string reply holding an integer (Lua scripts often return numbers as strings).</summary>
    /// <exception cref="InvalidOperationException">The reply is not an integer.</exception>
    public long AsInt64()
    {
        if (Type == RedisResultType.Integer)
        {
            return _integer;
        }

        return Type is RedisResultType.SimpleString or RedisResultType.BulkString
            && long.TryParse(AsString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"The reply ({Type}) is not an integer.");
    }

    /// <summary>The elements of an array reply; empty for a null reply.</summary>
    /// <exception cref="InvalidOperationException">The reply is not an array.</exception>
    public IReadOnlyList<RedisResult> AsArray() => Type switch
    {
        RedisResultType.Array => (RedisResult[])_value!,
        RedisResultType.Null => [],
        _ => throw new InvalidOperationException($"The reply ({Type}) is not an array."),
    };

    public override string ToString() => Type switch
    {
        RedisResultType.Null => "(nil)",
        RedisResultType.Array => $"[{string.Join(", ", AsArray())}]",
        RedisResultType.Error => $"(error) {AsString()}",
        _ => AsString()!,
    };

    internal static RedisResult FromSimpleString(string text) => new(RedisResultType.SimpleString, text, 0);

    internal static RedisResult FromBulkString(byte[] bytes) => new(RedisResultType.BulkString, bytes, 0);

    internal static RedisResult FromInteger(long value) => new(RedisResultType.Integer, null, value);

    internal static RedisResult FromArray(RedisResult[] items) => new(RedisResultType.Array, items, 0);

    internal static RedisResult FromError(string message) => new(RedisResultType.Error, message, 0);
}
