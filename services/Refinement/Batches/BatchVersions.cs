namespace HealthMedallion.Refinement.Batches;

/// <summary>A staged row with what tells its versions apart: where it landed and a hash of its content.</summary>
public interface IVersionedRow : IValidatedRow
{
    long RowNumber { get; }

    long ContentHash { get; }
}

/// <summary>A row of one bronze batch that lost to another row of the same batch with the same business key.</summary>
public readonly record struct SupersededInBatch<TRow>(TRow Row, string Reason);

/// <summary>
/// Decides, in memory, which of one batch's rows is the version of its business key that goes on to the merge, by the
/// rules <see cref="SilverMerge"/> states: a row whose key and content an earlier row already had is an
/// <c>exact_duplicate</c>; of the other rows of a key the latest version wins and the others are <c>older_version</c>.
/// Done here rather than with window functions in SQL, which sort the whole batch twice to find the 1 % of keys that
/// repeat.
/// </summary>
public static class BatchVersions
{
    /// <summary>Splits rows whose versions follow row order (one batch is one file: the last row is the latest).</summary>
    public static (List<TRow> Winners, List<SupersededInBatch<TRow>> Superseded) Split<TRow>(IReadOnlyList<TRow> rows)
        where TRow : IVersionedRow =>
        Split(rows, row => row.BusinessKey ?? throw new ArgumentException($"Row {row.RowNumber} has no business key; it should have been quarantined.", nameof(rows)),
            isLater: null);

    /// <param name="rows">The batch's staged rows, in row order.</param>
    /// <param name="key">A row's business key.</param>
    /// <param name="isLater">Whether the first row is a later version than the second, which comes before it in the batch;
    /// null when versions follow row order.</param>
    public static (List<TRow> Winners, List<SupersededInBatch<TRow>> Superseded) Split<TRow, TKey>(
        IReadOnlyList<TRow> rows, Func<TRow, TKey> key, Func<TRow, TRow, bool>? isLater)
        where TRow : IVersionedRow
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(key);
        var keys = new TKey[rows.Count];
        var winner = new Dictionary<TKey, int>(rows.Count);
        var superseded = new List<SupersededInBatch<TRow>>();
        Dictionary<TKey, List<long>>? contentsOfRepeatedKeys = null;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            keys[i] = key(row);
            if (winner.TryAdd(keys[i], i))
            {
                continue;
            }

            contentsOfRepeatedKeys ??= [];
            if (!contentsOfRepeatedKeys.TryGetValue(keys[i], out var contents))
            {
                contents = [rows[winner[keys[i]]].ContentHash];
                contentsOfRepeatedKeys[keys[i]] = contents;
            }

            var current = rows[winner[keys[i]]];
            if (contents.Contains(row.ContentHash))
            {
                superseded.Add(new(row, "exact_duplicate"));
            }
            else if (isLater is not null && !isLater(row, current))
            {
                superseded.Add(new(row, "older_version"));
                contents.Add(row.ContentHash);
            }
            else
            {
                superseded.Add(new(current, "older_version"));
                winner[keys[i]] = i;
                contents.Add(row.ContentHash);
            }
        }

        var winners = new List<TRow>(winner.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            if (winner[keys[i]] == i)
            {
                winners.Add(rows[i]);
            }
        }

        return (winners, superseded);
    }
}
