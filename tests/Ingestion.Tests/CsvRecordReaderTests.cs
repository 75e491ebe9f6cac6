using System.Text;
using HealthMedallion.Ingestion.Csv;

namespace HealthMedallion.Ingestion.Tests;

/// <summary>The RFC 4180 reader on its own: quoting, line ends, defects kept with their raw text, offsets to resume at.</summary>
public sealed class CsvRecordReaderTests
{
    private sealed record Row(string[] Fields, bool[] Quoted, CsvDefect Defect, string Raw, long Offset, long Next);

    private static async Task<List<Row>> ReadAllAsync(byte[] bytes, int bufferSize = 1024 * 1024, int maxRecordBytes = 16 * 1024 * 1024, long seek = 0)
    {
        using var stream = new MemoryStream(bytes);
        using var reader = new CsvRecordReader(stream, maxRecordBytes, bufferSize);
        if (seek > 0)
        {
            reader.Seek(seek);
        }
        else
        {
            await reader.SkipByteOrderMarkAsync(CancellationToken.None);
        }

        var rows = new List<Row>();
        while (await reader.ReadAsync(CancellationToken.None))
        {
            var fields = Enumerable.Range(0, reader.FieldCount).Select(i => Encoding.UTF8.GetString(reader.Field(i))).ToArray();
            var quoted = Enumerable.Range(0, reader.FieldCount).Select(reader.IsQuoted).ToArray();
            rows.Add(new Row(fields, quoted, reader.Defect, Encoding.UTF8.GetString(reader.RawRecord), reader.RecordOffset, reader.NextOffset));
        }

        return rows;
    }

    private static Task<List<Row>> ReadAllAsync(string text, int bufferSize = 1024 * 1024) => ReadAllAsync(Encoding.UTF8.GetBytes(text), bufferSize);

    [Fact]
    public async Task Quoting_CommasQuotesAndLineBreaksInsideQuotes_AreUnescaped()
    {
        var rows = await ReadAllAsync("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n");

        Assert.Equal(2, rows.Count);
        Assert.Equal(["x,1", "say \"hi\"", "two\nlines"], rows[1].Fields);
        Assert.All(rows[1].Quoted, Assert.True);
        Assert.Equal(CsvDefect.None, rows[1].Defect);
    }

    [Fact]
    public async Task EmptyFields_UnquotedAndQuoted_AreTold_Apart()
    {
        var rows = await ReadAllAsync("a,b,c\n,\"\",\n");

        Assert.Equal(["", "", ""], rows[1].Fields);
        Assert.Equal([false, true, false], rows[1].Quoted);
    }

    [Fact]
    public async Task CrLfLineEnds_ByteOrderMark_BlankLines_AndNoFinalLineEnd_AreHandled()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a,b\r\n1,2\r\n\r\n\n3,4")).ToArray();

        var rows = await ReadAllAsync(bytes);

        Assert.Equal([["a", "b"], ["1", "2"], ["3", "4"]], rows.Select(r => r.Fields));
        Assert.All(rows, r => Assert.Equal(CsvDefect.None, r.Defect));
    }

    [Fact]
    public async Task RecordsSpanningBufferRefills_AreReadWhole()
    {
        var text = "id,value\n" + string.Concat(Enumerable.Range(0, 500).Select(i => $"{i},\"v{i},{new string('x', i % 37)}\"\r\n"));

        var rows = await ReadAllAsync(text, bufferSize: 64);

        Assert.Equal(501, rows.Count);
        Assert.Equal(["499", $"v499,{new string('x', 499 % 37)}"], rows[^1].Fields);
    }

    [Fact]
    public async Task AOneMegabyteField_IsReadWhole()
    {
        var big = new string('z', 1024 * 1024);

        var rows = await ReadAllAsync($"a,b\n1,\"{big}\"\n2,x\n", bufferSize: 4096);

        Assert.Equal(3, rows.Count);
        Assert.Equal(big, rows[1].Fields[1]);
        Assert.Equal(["2", "x"], rows[2].Fields);
    }

    [Fact]
    public async Task UnclosedQuote_IsItsFirstLine_AndTheRowsAfterItAreStillRead()
    {
        var rows = await ReadAllAsync("a,b\n1,\"oops\n2,fine\n3,fine\n");

        Assert.Equal(4, rows.Count);
        Assert.Equal(CsvDefect.UnclosedQuote, rows[1].Defect);
        Assert.Equal("1,\"oops", rows[1].Raw);
        Assert.Equal(["2", "fine"], rows[2].Fields);
        Assert.Equal(["3", "fine"], rows[3].Fields);
    }

    [Fact]
    public async Task TruncatedLastLine_InsideQuotes_IsReturnedWithItsRawText()
    {
        var rows = await ReadAllAsync("a,b\n1,2\n3,\"trunc");

        Assert.Equal(CsvDefect.UnclosedQuote, rows[^1].Defect);
        Assert.Equal("3,\"trunc", rows[^1].Raw);
    }

    [Fact]
    public async Task StrayQuotes_AreKeptLiterally_AndFlagged()
    {
        var rows = await ReadAllAsync("a,b\n5\" tall,\"x\"y\n");

        Assert.Equal(CsvDefect.BadQuoting, rows[1].Defect);
        Assert.Equal(["5\" tall", "x\"y"], rows[1].Fields);
    }

    [Fact]
    public async Task InvalidUtf8_AndNulBytes_AreNotText()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,2\n").Concat(new byte[] { 0xC3, 0x28, (byte)',', (byte)'x', (byte)'\n', (byte)'y', 0, (byte)',', (byte)'z', (byte)'\n' }).ToArray();

        var rows = await ReadAllAsync(bytes);

        Assert.Equal([CsvDefect.None, CsvDefect.None, CsvDefect.NotText, CsvDefect.NotText], rows.Select(r => r.Defect));
        Assert.Empty(rows[2].Fields);
    }

    [Fact]
    public async Task RecordLongerThanTheMaximum_IsCut_AndReadingGoesOn()
    {
        var text = "a,b\n1,\"" + new string('q', 5000) + "\n2,ok\n";

        var rows = await ReadAllAsync(Encoding.UTF8.GetBytes(text), bufferSize: 1024, maxRecordBytes: 2048);

        Assert.Equal(CsvDefect.TooLong, rows[1].Defect);
        Assert.Equal(["2", "ok"], rows[^1].Fields);
    }

    [Fact]
    public async Task NextOffset_IsARecordBoundary_ToResumeAt()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\r\n1,\"x\ny\"\r\n2,z\r\n3,w\r\n");
        var all = await ReadAllAsync(bytes, bufferSize: 16);

        var resumed = await ReadAllAsync(bytes, bufferSize: 16, seek: all[1].Next);

        Assert.Equal(all.Skip(2).Select(r => r.Fields), resumed.Select(r => r.Fields));
        Assert.Equal(all[2].Offset, resumed[0].Offset);
    }
}
