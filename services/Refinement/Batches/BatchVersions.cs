namespace HealthMedallion.Refinement.Batches;

/// <summary>A staged row of an entity whose versions are ordered by where they landed: file name, then row number.</summary>
public interface IVersionedRow : IValidatedRow
{
    long RowNumber { get; }

    long ContentHash { get; }
}

/// <summary>A row of one bronze batch that lost to another row of the same batch with the same business key.</summary>
public readonly record struct SupersededInBatch<TRow>(TRow Row, string Reason);

/// <summary>
/// Decides, in memory, which of one batch's rows is the version of its business key that goes on to the merge, by the
/// rules <see cref="SilverMerge"/> applies in SQL: a row whose key and content an earlier row already had is an
/// <c>exact_duplicate</c>; of the other rows of a key the latest wins and the earlier ones are <c>older_version</c>.
/// All rows of a batch come from one file, so "latest" is the highest row number. Done here rather than by window
/// functions in SQL, which sort the whole batch twice to find the 1 % of keys that repeat.
/// </summary>
public static class BatchVersions
{
    /// <param name="rows">The batch's staged rows, in row order, each with a business key.</param>
    public static (List<TRow> Winners, List<SupersededInBatch<TRow>> Superseded) Split<TRow>(IReadOnlyList<TRow> rows)
        where TRow : IVersionedRow
    {
        ArgumentNullException.ThrowIfNull(rows);
        var winner = new Dictionary<string, int>(rows.Count, StringComparer.Ordinal);
        var superseded = new List<SupersededInBatch<TRow>>();
        Dictionary<string, List<long>>? contentsOfRepeatedKeys = null;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var key = row.BusinessKey ?? throw new ArgumentException($"Row {row.RowNumber} has no business key; it should have been quarantined.", nameof(rows));
            if (winner.TryAdd(key, i))
            {
                continue;
            }

            contentsOfRepeatedKeys ??= new(StringComparer.Ordinal);
            if (!contentsOfRepeatedKeys.TryGetValue(key, out var contents))
            {
                contents = [rows[winner[key]].ContentHash];
                contentsOfRepeatedKeys[key] = contents;
            }

            if (contents.Contains(row.ContentHash))
            {
                superseded.Add(new(row, "exact_duplicate"));
            }
            else
            {
                superseded.Add(new(rows[winner[key]], "older_version"));
                winner[key] = i;
                contents.Add(row.ContentHash);
            }
        }

        var winners = new List<TRow>(winner.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            if (winner[rows[i].BusinessKey!] == i)
            {
                winners.Add(rows[i]);
            }
        }

        return (winners, superseded);
    }
}
