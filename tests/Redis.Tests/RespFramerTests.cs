using System.Buffers;
using System.Text;
using HealthMedallion.Redis.Protocol;

namespace HealthMedallion.Redis.Tests;

/// <summary>The framer and reader on replies that arrive in pieces, split at every byte: the socket decides where
/// reads end, and small tests against a local server almost never split a reply by themselves.</summary>
public sealed class RespFramerTests
{
    private static readonly string[] Replies =
    [
        "+OK\r\n",
        "-ERR unknown command 'X'\r\n",
        ":-42\r\n",
        "$8\r\na\r\nb\0c\r\n\r\n",
        "$-1\r\n",
        "$0\r\n\r\n",
        "*-1\r\n",
        "*0\r\n",
        "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n+done\r\n",
    ];

    [Fact]
    public void TryFrame_StreamSplitAtEveryByte_FindsEachReplyExactlyWhenComplete()
    {
        // Arrange
        var stream = Encoding.UTF8.GetBytes(string.Concat(Replies));
        var expectedEnds = Replies.Select(r => r.Length).ToArray();

        for (var split = 1; split < stream.Length; split++)
        {
            // Act: feed the first part, then the whole, as two reads of a pipe would; the framer keeps its progress.
            var framer = default(RespFramer);
            var found = new List<int>();
            var consumed = 0;
            foreach (var available in new[] { split, stream.Length })
            {
                var buffer = Segmented(stream.AsSpan(consumed, available - consumed).ToArray(), (available - consumed) / 2);
                while (framer.TryFrame(buffer, out var end))
                {
                    var length = (int)buffer.Slice(0, end).Length;
                    found.Add(length);
                    consumed += length;
                    buffer = buffer.Slice(end);
                }
            }

            // Assert
            Assert.Equal(expectedEnds, found);
        }
    }

    [Fact]
    public void ReadResult_NestedArraySpanningSegments_DecodesEveryElement()
    {
        // Arrange
        var bytes = Encoding.UTF8.GetBytes("*3\r\n:1\r\n*2\r\n$5\r\nhello\r\n$-1\r\n-WRONGTYPE nested\r\n");
        for (var split = 1; split < bytes.Length; split++)
        {
            var reader = new RespReader(Segmented(bytes, split));

            // Act
            var result = reader.ReadResult();

            // Assert
            Assert.Equal(RedisResultType.Array, result.Type);
            Assert.Equal(1, result.AsArray()[0].AsInt64());
            Assert.Equal("hello", result.AsArray()[1].AsArray()[0].AsString());
            Assert.True(result.AsArray()[1].AsArray()[1].IsNull);
            Assert.Equal(RedisResultType.Error, result.AsArray()[2].Type);
            Assert.Equal("WRONGTYPE nested", result.AsArray()[2].AsString());
        }
    }

    [Fact]
    public void TryFrame_NotResp_ThrowsInvalidData()
    {
        // Arrange
        var framer = default(RespFramer);
        var buffer = new ReadOnlySequence<byte>("HTTP/1.1 400 Bad Request\r\n"u8.ToArray());

        // Act + Assert
        Assert.Throws<InvalidDataException>(() => framer.TryFrame(buffer, out _));
    }

    /// <summary>The bytes as a two-segment sequence split at <paramref name="split"/>.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int split)
    {
        if (split <= 0 || split >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, split), 0);
        var second = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
