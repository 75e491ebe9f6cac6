using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace HealthMedallion.Redis.Protocol;

/// <summary>One command encoded as a RESP array of bulk strings. It is encoded on the caller's thread into a
/// pooled buffer, so the single writer loop only copies bytes and many callers encode in parallel.</summary>
internal sealed class RespRequest
{
    private byte[]? _buffer;
    private int _length;
    private int _argumentsLeft;
    private int _argumentLength;

    /// <param name="command">The command name, e.g. <c>GET</c>; <c>"CLIENT", "LIST"</c>-style subcommands are arguments.</param>
    /// <param name="argumentCount">How many arguments will follow; checked when the request is written.</param>
    public RespRequest(string command, int argumentCount)
    {
        Command = command;
        _buffer = ArrayPool<byte>.Shared.Rent(64 + command.Length);
        _argumentsLeft = argumentCount + 1;
        WriteHeader((byte)'*', argumentCount + 1);
        Add(command);
    }

    public string Command { get; }

    public RespRequest Add(string? value)
    {
        if (value is null)
        {
            throw new ArgumentException($"Redis arguments cannot be null (an argument of {Command} was null).");
        }

        var byteCount = Encoding.UTF8.GetByteCount(value);
        Encoding.UTF8.GetBytes(value, BeginArgument(byteCount));
        return EndArgument();
    }

    public RespRequest Add(ReadOnlySpan<byte> value)
    {
        value.CopyTo(BeginArgument(value.Length));
        return EndArgument();
    }

    public RespRequest Add(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        return Add(digits[..written]);
    }

    public RespRequest Add(double value)
    {
        // Redis spells infinities "+inf"/"-inf"; "R" round-trips every finite double.
        return Add(
            double.IsPositiveInfinity(value) ? "+inf"
            : double.IsNegativeInfinity(value) ? "-inf"
            : value.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>The escape hatch's argument types: text, bytes and numbers; anything else is a caller bug.</summary>
    public RespRequest AddObject(object? value)
    {
        return value switch
        {
            string text => Add(text),
            byte[] bytes => Add(bytes),
            ReadOnlyMemory<byte> memory => Add(memory.Span),
            Memory<byte> memory => Add(memory.Span),
            int or long or short or sbyte or byte or ushort or uint => Add(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
            double number => Add(number),
            float number => Add((double)number),
            IFormattable formattable => Add(formattable.ToString(null, CultureInfo.InvariantCulture)),
            null => throw new ArgumentException($"Redis arguments cannot be null (an argument of {Command} was null)."),
            CancellationToken => throw new ArgumentException(
                $"A CancellationToken was passed as an argument of {Command}; use the overload that takes the arguments as a collection and a token."),
            _ => throw new ArgumentException(
                $"An argument of {Command} has type {value.GetType().Name}; pass a string, byte[], ReadOnlyMemory<byte> or a number."),
        };
    }

    /// <summary>Checked on the caller's thread, before the request is queued: the write loop must never meet a malformed
    /// one (a collection that changed size while it was being encoded).</summary>
    public RespRequest EnsureComplete()
    {
        return _argumentsLeft == 0
            ? this
            : throw new InvalidOperationException($"The {Command} request got {_argumentsLeft} fewer arguments than declared.");
    }

    /// <summary>Copies the encoded command to the connection and returns the buffer to the pool.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        var buffer = _buffer ?? throw new InvalidOperationException($"The {Command} request was already written or released.");
        output.Write(buffer.AsSpan(0, _length));
        Release();
    }

    /// <summary>Returns the buffer to the pool; safe to call more than once (a request is released on every path: written, skipped or failed).</summary>
    public void Release()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Span<byte> BeginArgument(int byteCount)
    {
        if (--_argumentsLeft < 0)
        {
            throw new InvalidOperationException($"The {Command} request got more arguments than declared.");
        }

        WriteHeader((byte)'$', byteCount);
        EnsureCapacity(byteCount + 2);
        _argumentLength = byteCount;
        return _buffer.AsSpan(_length, byteCount);
    }

    private RespRequest EndArgument()
    {
        _length += _argumentLength;
        _buffer![_length++] = (byte)'\r';
        _buffer[_length++] = (byte)'\n';
        return this;
    }

    private void WriteHeader(byte prefix, int count)
    {
        EnsureCapacity(1 + 11 + 2);
        var span = _buffer.AsSpan(_length);
        span[0] = prefix;
        Utf8Formatter.TryFormat(count, span[1..], out var digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        _length += 3 + digits;
    }

    private void EnsureCapacity(int extra)
    {
        var buffer = _buffer ?? throw new InvalidOperationException($"The {Command} request was already written or released.");
        if (_length + extra <= buffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, _length + extra));
        buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        _buffer = larger;
    }
}
