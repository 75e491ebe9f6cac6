namespace HealthMedallion.Refinement.Batches;

/// <summary>A committed bronze batch: its rows come from one file of one source system.</summary>
public sealed record BronzeBatch(
    Guid BatchId, string Entity, Guid FileId, string FileName, string SourceSystem, long Rows, DateTime IngestedAtUtc)
{
    /// <summary>The date "now" means for this batch's rows (ages, dates in the future): the day bronze received them.</summary>
    public DateOnly AsOfDate => DateOnly.FromDateTime(IngestedAtUtc);
}

/// <summary>
/// One bronze row: its row number in the file, its source columns as text (blank fields are null), and the error
/// ingestion noted in <c>_rescued_data</c> when the CSV record was malformed (e.g. a truncated last line).
/// </summary>
public sealed class BronzeRow(long rowNumber, string?[] values, string? recordError = null)
{
    public long RowNumber { get; } = rowNumber;

    public string? RecordError { get; } = recordError;

    public string? this[int column] => values[column];

    /// <summary>Every source value in column order, for the content hash that tells exact duplicates apart from corrections.</summary>
    public long ContentHash()
    {
        // FNV-1a over the values with a separator that cannot occur in text, so ("ab", "c") and ("a", "bc") differ.
        var hash = 14695981039346656037UL;
        foreach (var value in values)
        {
            foreach (var c in value ?? "\uFFFF")
            {
                hash = (hash ^ c) * 1099511628211UL;
            }

            hash = (hash ^ 0xFFFE) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
