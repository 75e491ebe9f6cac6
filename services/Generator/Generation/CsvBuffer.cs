using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// CSV rows of one stream for one chunk of patients, formatted straight to UTF-8 (RFC 4180 quoting) with the
/// end offset of every row, so that the writer can split them into parts and label them by row number.
/// Reused from chunk to chunk: after warm-up nothing is allocated per row.
/// </summary>
internal sealed class CsvBuffer(byte[] newline)
{
    private static readonly SearchValues<byte> NeedsQuotes = SearchValues.Create(",\"\r\n"u8);
    private static readonly byte[][] MonthAbbreviations =
        [.. CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames.Take(12).Select(m => Encoding.ASCII.GetBytes(m))];

    private byte[] _data = new byte[1 << 16];
    private int[] _rowEnds = new int[1024];
    private bool _first = true;

    public int Length { get; private set; }

    public int Rows { get; private set; }

    public ReadOnlySpan<byte> Data => _data.AsSpan(0, Length);

    public ReadOnlySpan<byte> Newline => newline;

    public ReadOnlySpan<byte> Row(int row) => _data.AsSpan(RowStart(row), _rowEnds[row] - RowStart(row));

    public int RowStart(int row) => row == 0 ? 0 : _rowEnds[row - 1];

    public int RowEnd(int row) => _rowEnds[row];

    public void Clear()
    {
        Length = 0;
        Rows = 0;
        _first = true;
    }

    public void EndRow()
    {
        Raw(newline);
        if (Rows == _rowEnds.Length)
        {
            Array.Resize(ref _rowEnds, Rows * 2);
        }

        _rowEnds[Rows++] = Length;
        _first = true;
    }

    /// <summary>Appends a copy of an earlier row of this buffer (an exact duplicate).</summary>
    public void CopyRow(int row)
    {
        var start = RowStart(row);
        var length = _rowEnds[row] - start;
        Ensure(length);
        _data.AsSpan(start, length).CopyTo(_data.AsSpan(Length));
        Length += length;
        if (Rows == _rowEnds.Length)
        {
            Array.Resize(ref _rowEnds, Rows * 2);
        }

        _rowEnds[Rows++] = Length;
        _first = true;
    }

    public void Empty() => Separator();

    public void Field(Text text) => Field(text.Utf8);

    public void Field(ReadOnlySpan<byte> value)
    {
        Separator();
        if (value.IndexOfAny(NeedsQuotes) < 0)
        {
            Raw(value);
            return;
        }

        Ensure((value.Length * 2) + 2);
        var span = _data.AsSpan();
        span[Length++] = (byte)'"';
        foreach (var b in value)
        {
            if (b == (byte)'"')
            {
                span[Length++] = (byte)'"';
            }

            span[Length++] = b;
        }

        span[Length++] = (byte)'"';
    }

    public void Field(string value)
    {
        Span<byte> buffer = stackalloc byte[256];
        var written = Encoding.UTF8.GetBytes(value.AsSpan(0, Math.Min(value.Length, 80)), buffer);
        Field(buffer[..written]);
    }

    public void Field(long value)
    {
        Separator();
        Ensure(24);
        Utf8Formatter.TryFormat(value, _data.AsSpan(Length), out var written);
        Length += written;
    }

    /// <summary>A number with a fixed count of decimals (0.1 precision costs nothing here: values are synthetic).</summary>
    public void Field(double value, int decimals)
    {
        Separator();
        Ensure(40);
        value.TryFormat(_data.AsSpan(Length), out var written, decimals switch { 0 => "F0", 1 => "F1", 2 => "F2", _ => "F3" }, CultureInfo.InvariantCulture);
        Length += written;
    }

    /// <summary>Digits of <paramref name="value"/> zero-padded to <paramref name="width"/>, after an ASCII prefix.</summary>
    public void Id(ReadOnlySpan<byte> prefix, long value, int width)
    {
        Separator();
        Raw(prefix);
        Digits(value, width);
    }

    public void Date(DateOnly date, DateStyle style)
    {
        Separator();
        DateValue(date, style);
    }

    public void DateTime(DateTime value, DateTimeStyle style)
    {
        Separator();
        var date = DateOnly.FromDateTime(value);
        switch (style)
        {
            case DateTimeStyle.Iso8601:
                DateValue(date, DateStyle.Iso);
                Byte((byte)'T');
                Time(value, colons: true);
                Byte((byte)'Z');
                break;
            case DateTimeStyle.IsoSpace:
                DateValue(date, DateStyle.Iso);
                Byte((byte)' ');
                Time(value, colons: true);
                break;
            case DateTimeStyle.Compact:
                DateValue(date, DateStyle.Compact);
                Time(value, colons: false);
                break;
            case DateTimeStyle.UsWithTime:
                DateValue(date, DateStyle.Us);
                Byte((byte)' ');
                Digits(value.Hour, 2);
                Byte((byte)':');
                Digits(value.Minute, 2);
                break;
        }
    }

    /// <summary>A phone number of 10 digits in one of the styles sources use.</summary>
    public void Phone(long digits, PhoneStyle style)
    {
        Separator();
        var area = digits / 10_000_000;
        var exchange = digits / 10_000 % 1000;
        var line = digits % 10_000;
        switch (style)
        {
            case PhoneStyle.Parentheses:
                Byte((byte)'(');
                Digits(area, 3);
                Raw(") "u8);
                Digits(exchange, 3);
                Byte((byte)'-');
                Digits(line, 4);
                break;
            case PhoneStyle.Dashes:
                Digits(area, 3);
                Byte((byte)'-');
                Digits(exchange, 3);
                Byte((byte)'-');
                Digits(line, 4);
                break;
            case PhoneStyle.Dots:
                Digits(area, 3);
                Byte((byte)'.');
                Digits(exchange, 3);
                Byte((byte)'.');
                Digits(line, 4);
                break;
            default:
                Digits(digits, 10);
                break;
        }
    }

    /// <summary>Starts a field whose content is appended piecewise with <see cref="Raw"/> (no quoting: callers know it needs none).</summary>
    public void BeginField() => Separator();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Raw(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_data.AsSpan(Length));
        Length += value.Length;
    }

    public void Byte(byte value)
    {
        Ensure(1);
        _data[Length++] = value;
    }

    public void Digits(long value, int width)
    {
        Ensure(20);
        var span = _data.AsSpan(Length);
        var digits = 1;
        for (var rest = value; rest >= 10; rest /= 10)
        {
            digits++;
        }

        var total = Math.Max(width, digits);
        for (var i = total - 1; i >= 0; i--)
        {
            span[i] = (byte)('0' + (value % 10));
            value /= 10;
        }

        Length += total;
    }

    private void DateValue(DateOnly date, DateStyle style)
    {
        switch (style)
        {
            case DateStyle.Iso:
                Digits(date.Year, 4);
                Byte((byte)'-');
                Digits(date.Month, 2);
                Byte((byte)'-');
                Digits(date.Day, 2);
                break;
            case DateStyle.Us:
                Digits(date.Month, 2);
                Byte((byte)'/');
                Digits(date.Day, 2);
                Byte((byte)'/');
                Digits(date.Year, 4);
                break;
            case DateStyle.Compact:
                Digits(date.Year, 4);
                Digits(date.Month, 2);
                Digits(date.Day, 2);
                break;
            case DateStyle.DayMonthName:
                Digits(date.Day, 2);
                Byte((byte)'-');
                Raw(MonthAbbreviations[date.Month - 1]);
                Byte((byte)'-');
                Digits(date.Year, 4);
                break;
        }
    }

    private void Time(DateTime value, bool colons)
    {
        Digits(value.Hour, 2);
        if (colons)
        {
            Byte((byte)':');
        }

        Digits(value.Minute, 2);
        if (colons)
        {
            Byte((byte)':');
        }

        Digits(value.Second, 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Separator()
    {
        if (_first)
        {
            _first = false;
            return;
        }

        Byte((byte)',');
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int extra)
    {
        if (Length + extra > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, Length + extra));
        }
    }
}

internal enum DateStyle : byte { Iso, Us, Compact, DayMonthName }

internal enum DateTimeStyle : byte { Iso8601, IsoSpace, Compact, UsWithTime }

internal enum PhoneStyle : byte { Parentheses, Dashes, Dots, DigitsOnly }
