using System.Buffers;
using System.Text;

namespace HealthMedallion.Redis.Protocol;

/// <summary>Turns one reply into what the caller asked for.</summary>
internal delegate T ReplyDecoder<out T>(ref RespReader reply);

/// <summary>Decodes a reply that <see cref="RespFramer"/> has found complete, straight from the receive buffer:
/// simple strings and integers are compared or parsed in place and never become strings, bulk strings become
/// a string or a byte[] only when the caller asks for one.</summary>
internal ref struct RespReader
{
    private SequenceReader<byte> _reader;

    public RespReader(in ReadOnlySequence<byte> reply) => _reader = new SequenceReader<byte>(reply);

    public readonly RespType PeekType()
    {
        return _reader.TryPeek(out var prefix) ? (RespType)prefix : throw new InvalidDataException("The reply is empty.");
    }

    /// <summary>A +OK (or any simple string) is true; a null bulk string is false (SET NX/XX that did not set).</summary>
    public bool ReadOk()
    {
        var type = ReadHeader(out var line);
        return type switch
        {
            RespType.SimpleString => true,
            RespType.BulkString when RespFramer.ParseLength(line) < 0 => false,
            _ => throw Unexpected(type, "a status reply"),
        };
    }

    public long ReadInteger()
    {
        var type = ReadHeader(out var line);
        return type == RespType.Integer ? RespFramer.ParseInteger(line) : throw Unexpected(type, "an integer");
    }

    /// <summary>The text of a simple string or bulk string, without copying; false for a null bulk string.</summary>
    public bool TryReadBlob(out ReadOnlySequence<byte> blob)
    {
        var type = ReadHeader(out var line);
        switch (type)
        {
            case RespType.SimpleString:
                blob = line;
                return true;
            case RespType.BulkString:
                var length = RespFramer.ParseLength(line);
                if (length < 0)
                {
                    blob = default;
                    return false;
                }

                blob = _reader.UnreadSequence.Slice(0, length);
                _reader.Advance(length + 2);
                return true;
            default:
                throw Unexpected(type, "a string");
        }
    }

    public string? ReadString() => TryReadBlob(out var blob) ? Encoding.UTF8.GetString(blob) : null;

    public byte[]? ReadBytes() => TryReadBlob(out var blob) ? blob.ToArray() : null;

    /// <summary>The element count of an array reply; -1 for a null array.</summary>
    public int ReadArrayLength()
    {
        var type = ReadHeader(out var line);
        return type == RespType.Array ? (int)RespFramer.ParseLength(line) : throw Unexpected(type, "an array");
    }

    /// <summary>An array of same-typed elements; a null array becomes an empty one.</summary>
    public T[] ReadArray<T>(ReplyDecoder<T> element)
    {
        var count = ReadArrayLength();
        if (count <= 0)
        {
            return [];
        }

        var items = new T[count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = element(ref this);
        }

        return items;
    }

    /// <summary>Any reply as a <see cref="RedisResult"/> tree. A top-level error throws; nested ones (inside arrays) become
    /// <see cref="RedisResultType.Error"/> elements, so one bad element does not hide the rest.</summary>
    public RedisResult ReadResult(bool nested = false)
    {
        if (PeekType() == RespType.Error && nested)
        {
            _reader.Advance(1);
            _reader.TryReadTo(out ReadOnlySequence<byte> message, "\r\n"u8);
            return RedisResult.FromError(Encoding.UTF8.GetString(message));
        }

        switch (PeekType())
        {
            case RespType.Integer:
                return RedisResult.FromInteger(ReadInteger());
            case RespType.SimpleString:
                return RedisResult.FromSimpleString(ReadString()!);
            case RespType.BulkString:
                return ReadBytes() is { } bytes ? RedisResult.FromBulkString(bytes) : RedisResult.Null;
            case RespType.Array:
                var count = ReadArrayLength();
                if (count < 0)
                {
                    return RedisResult.Null;
                }

                var items = new RedisResult[count];
                for (var i = 0; i < items.Length; i++)
                {
                    items[i] = ReadResult(nested: true);
                }

                return RedisResult.FromArray(items);
            default:
                ReadHeader(out _); // throws the server error
                throw new InvalidDataException("Unreachable: an error reply did not throw.");
        }
    }

    /// <summary>The bytes of the next element, consumed, so it can be decoded on its own (a transaction's EXEC array).</summary>
    public ReadOnlySequence<byte> ReadRawElement()
    {
        var framer = default(RespFramer);
        var rest = _reader.UnreadSequence;
        if (!framer.TryFrame(rest, out var end))
        {
            throw new InvalidDataException("An array element is incomplete.");
        }

        var element = rest.Slice(0, end);
        _reader.Advance(element.Length);
        return element;
    }

    /// <summary>Reads a type byte and its header line; an error reply throws <see cref="RedisServerException"/> here,
    /// so every decoder surfaces server errors the same way.</summary>
    private RespType ReadHeader(out ReadOnlySequence<byte> line)
    {
        if (!_reader.TryRead(out var prefix) || !_reader.TryReadTo(out line, "\r\n"u8))
        {
            throw new InvalidDataException("The reply is truncated.");
        }

        var type = (RespType)prefix;
        return type == RespType.Error ? throw new RedisServerException(Encoding.UTF8.GetString(line)) : type;
    }

    private static RedisException Unexpected(RespType type, string expected)
    {
        return new RedisException($"Expected {expected} reply but the server sent {Describe(type)}.");
    }

    private static string Describe(RespType type) => type switch
    {
        RespType.SimpleString => "a simple string",
        RespType.Integer => "an integer",
        RespType.BulkString => "a bulk string",
        RespType.Array => "an array",
        _ => $"type '{(char)type}'",
    };
}
