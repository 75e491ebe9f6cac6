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

    /// <summary>
    /// The pairs, as indexes into <paramref name="records"/> (first &lt; second), sorted and distinct; with
    /// <paramref name="touchedOnly"/>, only pairs with at least one touched record.
    /// </summary>
    public static (int First, int Second)[] Generate(IReadOnlyList<IdentityRecord> records, bool touchedOnly)
    {
        // Every (key, record), sorted by key: each run of one key is a block.
        var keys = new ulong[records.Count * BlockingKeys.MaxPerRecord];
        var owners = new int[keys.Length];
        var entries = 0;
        Span<ulong> recordKeys = stackalloc ulong[BlockingKeys.MaxPerRecord];
        for (var i = 0; i < records.Count; i++)
        {
            var count = BlockingKeys.Of(records[i], recordKeys);
            for (var k = 0; k < count; k++)
            {
                keys[entries] = recordKeys[k];
                owners[entries++] = i;
            }
        }

        Array.Sort(keys, owners, 0, entries);
        var pairs = new List<long>(records.Count * 2);
        for (var start = 0; start < entries;)
        {
            var end = start + 1;
            while (end < entries && keys[end] == keys[start])
            {
                end++;
            }

            if (end - start is > 1 and <= MaxBlockSize)
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

            start = end;
        }

        var sorted = pairs.ToArray();
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
}
