using HealthMedallion.Refinement.Identity.Records;

namespace HealthMedallion.Refinement.Identity.Blocking;

/// <summary>
/// Candidate pairs: records of different sources that share a blocking key. A source system registers a person once
/// under its own id, so two records of one source are never a candidate pair. A key value shared by more than
/// <see cref="MaxBlockSize"/> records (a clinic's switchboard number, a placeholder birth date) says nothing specific
/// and is skipped: those records still meet under their other keys. The pairs stay a small multiple of the records.
/// </summary>
public static class CandidatePairs
{
    public const int MaxBlockSize = 50;

    /// <summary>Keys are spread by their top byte into this many buckets, sorted and paired in parallel.</summary>
    private const int Buckets = 256;

    /// <summary>
    /// The pairs, as indexes into <paramref name="records"/> (first &lt; second), sorted and distinct; with
    /// <paramref name="touchedOnly"/>, only pairs with at least one touched record.
    /// </summary>
    public static (int First, int Second)[] Generate(IReadOnlyList<IdentityRecord> records, bool touchedOnly)
    {
        var (keys, owners, starts) = SortedKeys(records);

        // Each run of one key is a block; the blocks of one bucket are paired on one thread.
        var pairsOfBucket = new List<long>[Buckets];
        Parallel.For(0, Buckets, bucket =>
        {
            var pairs = pairsOfBucket[bucket] = [];
            var (start, stop) = (starts[bucket], starts[bucket + 1]);
            while (start < stop)
            {
                var end = start + 1;
                while (end < stop && keys[end] == keys[start])
                {
                    end++;
                }

                if (end - start is > 1 and <= MaxBlockSize)
                {
                    AddPairs(records, owners, start, end, touchedOnly, pairs);
                }

                start = end;
            }
        });

        var sorted = new long[pairsOfBucket.Sum(p => p.Count)];
        var at = 0;
        foreach (var pairs in pairsOfBucket)
        {
            pairs.CopyTo(sorted, at);
            at += pairs.Count;
        }

        Array.Sort(sorted);
        var distinct = new List<(int, int)>(sorted.Length);
        for (var i = 0; i < sorted.Length; i++)
        {
            if (i == 0 || sorted[i] != sorted[i - 1])
            {
                distinct.Add(((int)(sorted[i] >> 32), (int)(sorted[i] & 0xFFFF_FFFF)));
            }
        }

        return [.. distinct];
    }

    /// <summary>
    /// Every (key, record), sorted by key: computed in parallel, spread into buckets by the key's top byte (the keys are
    /// hashes, so the buckets are even; <c>Starts</c>: where each bucket begins, plus the end), and the buckets sorted in parallel.
    /// </summary>
    private static (ulong[] Keys, int[] Owners, int[] Starts) SortedKeys(IReadOnlyList<IdentityRecord> records)
    {
        var counts = new byte[records.Count];
        var slots = new ulong[records.Count * BlockingKeys.MaxPerRecord];
        Parallel.For(0, (records.Count + 4095) / 4096, chunk =>
        {
            for (var i = chunk * 4096; i < Math.Min(records.Count, (chunk + 1) * 4096); i++)
            {
                counts[i] = (byte)BlockingKeys.Of(records[i], slots.AsSpan(i * BlockingKeys.MaxPerRecord, BlockingKeys.MaxPerRecord));
            }
        });

        var starts = new int[Buckets + 1];
        for (var i = 0; i < records.Count; i++)
        {
            for (var k = 0; k < counts[i]; k++)
            {
                starts[(slots[(i * BlockingKeys.MaxPerRecord) + k] >> 56) + 1]++;
            }
        }

        for (var b = 0; b < Buckets; b++)
        {
            starts[b + 1] += starts[b];
        }

        var values = new ulong[starts[Buckets]];
        var owners = new int[values.Length];
        var next = starts[..Buckets];
        for (var i = 0; i < records.Count; i++)
        {
            for (var k = 0; k < counts[i]; k++)
            {
                var key = slots[(i * BlockingKeys.MaxPerRecord) + k];
                var at = next[key >> 56]++;
                values[at] = key;
                owners[at] = i;
            }
        }

        Parallel.For(0, Buckets, b => Array.Sort(values, owners, starts[b], starts[b + 1] - starts[b]));
        return (values, owners, starts);
    }

    private static void AddPairs(IReadOnlyList<IdentityRecord> records, int[] owners, int start, int end, bool touchedOnly, List<long> pairs)
    {
        for (var x = start; x < end; x++)
        {
            var a = records[owners[x]];
            for (var y = x + 1; y < end; y++)
            {
                var b = records[owners[y]];
                if (a.Source != b.Source && (!touchedOnly || a.Touched || b.Touched))
                {
                    var (first, second) = owners[x] < owners[y] ? (owners[x], owners[y]) : (owners[y], owners[x]);
                    pairs.Add(((long)first << 32) | (uint)second);
                }
            }
        }
    }
}
