using System.Buffers;
using System.Buffers.Text;

namespace HealthMedallion.Redis.Protocol;

/// <summary>RESP2 type prefixes.</summary>
internal enum RespType : byte
{
    SimpleString = (byte)'+',
    Error = (byte)'-',
    Integer = (byte)':',
    BulkString = (byte)'$',
    Array = (byte)'*',
}

/// <summary>Finds where each complete reply ends in the received bytes, without decoding it, so a decoder only ever
/// sees whole replies. It remembers how far it got in an incomplete reply, so a large reply arriving in many reads
/// is scanned once, not once per read.</summary>
internal struct RespFramer
{
    // Elements still to scan in the current reply (0 = between replies) and the bytes already scanned.
    private long _elementsLeft;
    private long _scanned;

    /// <summary>True with <paramref name="end"/> set when <paramref name="buffer"/> starts with a complete reply.</summary>
    /// <exception cref="InvalidDataException">The bytes are not RESP2.</exception>
    public bool TryFrame(in ReadOnlySequence<byte> buffer, out SequencePosition end)
    {
        var reader = new SequenceReader<byte>(buffer);
        var elementsLeft = _elementsLeft == 0 ? 1 : _elementsLeft;
        reader.Advance(_scanned);
        while (elementsLeft > 0)
        {
            var elementStart = reader.Consumed;
            if (!TrySkipElementHeader(ref reader, out var children))
            {
                // Resume at this element next time; everything before it is already accounted for.
                _elementsLeft = elementsLeft;
                _scanned = elementStart;
                end = default;
                return false;
            }

            elementsLeft += children - 1;
        }

        _elementsLeft = 0;
        _scanned = 0;
        end = reader.Position;
        return true;
    }

    /// <summary>Skips one element's header (and a bulk string's payload); <paramref name="children"/> is how many
    /// elements an array announces, which the caller must skip next.</summary>
    private static bool TrySkipElementHeader(ref SequenceReader<byte> reader, out long children)
    {
        children = 0;
        if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            return false;
        }

        switch ((RespType)prefix)
        {
            case RespType.SimpleString or RespType.Error or RespType.Integer:
                return true;
            case RespType.BulkString:
                var length = ParseLength(line);
                if (length < 0)
                {
                    return true;
                }

                if (reader.Remaining < length + 2)
                {
                    return false;
                }

                reader.Advance(length);
                if (!reader.IsNext("\r\n"u8, advancePast: true))
                {
                    throw new InvalidDataException("A RESP bulk string is not followed by CRLF.");
                }

                return true;
            case RespType.Array:
                children = Math.Max(0, ParseLength(line));
                return true;
            default:
                throw new InvalidDataException($"Unexpected RESP type byte 0x{prefix:X2} ('{(char)prefix}').");
        }
    }

    /// <summary>Parses a header line's number: a length, a count or an integer reply. -1 means null.</summary>
    internal static long ParseLength(in ReadOnlySequence<byte> line)
    {
        // Larger than any array or string a .NET caller could hold anyway, and it keeps the arithmetic safe.
        var value = ParseInteger(line);
        return value is >= -1 and <= int.MaxValue ? value : throw new InvalidDataException($"Invalid RESP length {value}.");
    }

    internal static long ParseInteger(in ReadOnlySequence<byte> line)
    {
        // A header line is at most 20 characters; it only spans buffer segments by chance, so copy it then.
        Span<byte> copy = stackalloc byte[20];
        scoped ReadOnlySpan<byte> text;
        if (line.IsSingleSegment)
        {
            text = line.FirstSpan;
        }
        else if (line.Length <= copy.Length)
        {
            line.CopyTo(copy);
            text = copy[..(int)line.Length];
        }
        else
        {
            throw new InvalidDataException("A RESP number is too long.");
        }

        return Utf8Parser.TryParse(text, out long value, out var consumed) && consumed == text.Length
            ? value
            : throw new InvalidDataException("A RESP number is not an integer.");
    }
}
