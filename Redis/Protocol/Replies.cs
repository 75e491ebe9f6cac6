namespace HealthMedallion.Redis.Protocol;

/// <summary>One SCAN reply: the cursor to continue from ("0" when done) and this page's keys.</summary>
internal readonly record struct ScanPage(string Cursor, string[] Keys);

/// <summary>The decoders commands use, cached as static delegates so sending a command allocates none.</summary>
internal static class Replies
{
    public static readonly ReplyDecoder<bool> Ok = static (ref RespReader reply) => reply.ReadOk();

    public static readonly ReplyDecoder<long> Integer = static (ref RespReader reply) => reply.ReadInteger();

    /// <summary>DEL, EXPIRE, HSET of one field, EXISTS: a count that is 0 or 1 here.</summary>
    public static readonly ReplyDecoder<bool> IntegerIsPositive = static (ref RespReader reply) => reply.ReadInteger() > 0;

    public static readonly ReplyDecoder<string?> String = static (ref RespReader reply) => reply.ReadString();

    public static readonly ReplyDecoder<string> RequiredString = static (ref RespReader reply) =>
        reply.ReadString() ?? throw new RedisException("Expected a string reply but the server sent a null.");

    public static readonly ReplyDecoder<byte[]?> Bytes = static (ref RespReader reply) => reply.ReadBytes();

    public static readonly ReplyDecoder<byte[]> RequiredBytes = static (ref RespReader reply) =>
        reply.ReadBytes() ?? throw new RedisException("Expected a string reply but the server sent a null.");

    public static readonly ReplyDecoder<string?[]> Strings = static (ref RespReader reply) => reply.ReadArray(String);

    public static readonly ReplyDecoder<byte[]?[]> BytesArray = static (ref RespReader reply) => reply.ReadArray(Bytes);

    public static readonly ReplyDecoder<RedisResult> Result = static (ref RespReader reply) => reply.ReadResult();

    /// <summary>PTTL: -2 (no key) and -1 (no expiry) both mean "no time to live".</summary>
    public static readonly ReplyDecoder<TimeSpan?> TimeToLive = static (ref RespReader reply) =>
        reply.ReadInteger() is var ms && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : null;

    public static readonly ReplyDecoder<Dictionary<string, string>> Hash = static (ref RespReader reply) => ReadHash(ref reply, RequiredString);

    public static readonly ReplyDecoder<Dictionary<string, byte[]>> HashBytes = static (ref RespReader reply) => ReadHash(ref reply, RequiredBytes);

    public static readonly ReplyDecoder<ScanPage> ScanPage = static (ref RespReader reply) =>
    {
        if (reply.ReadArrayLength() != 2)
        {
            throw new RedisException("A SCAN reply must have two elements: the cursor and the keys.");
        }

        var cursor = RequiredString(ref reply);
        return new ScanPage(cursor, reply.ReadArray(RequiredString));
    };

    /// <summary>RESP2 sends a hash as a flat array: field, value, field, value...</summary>
    private static Dictionary<string, T> ReadHash<T>(ref RespReader reply, ReplyDecoder<T> value)
    {
        var count = reply.ReadArrayLength();
        var hash = new Dictionary<string, T>(Math.Max(0, count / 2), StringComparer.Ordinal);
        for (var i = 0; i + 1 < count; i += 2)
        {
            hash[RequiredString(ref reply)] = value(ref reply);
        }

        return hash;
    }
}
