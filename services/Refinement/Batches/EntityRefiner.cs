using HealthMedallion.Refinement.Expectations;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>Refines the bronze rows of one entity: typed and validated in parallel in memory, then merged into silver in SQL.</summary>
public interface IEntityRefiner
{
    string Entity { get; }

    /// <summary>The bronze source columns the refiner reads, in the order <see cref="BronzeRow"/> holds them.</summary>
    IReadOnlyList<string> BronzeColumns { get; }

    IEnumerable<ExpectationDescription> Expectations { get; }

    /// <summary>
    /// Whether the batch writes to silver alone (<see cref="SilverLock"/>): unless its merge writes only tables no other
    /// batch's merge reads. Asked before the batch takes the lock; a batch that holds it shared and then finds it must
    /// write alone throws <see cref="WriteAloneException"/>, and is written again.
    /// </summary>
    Task<bool> WritesAloneAsync(NpgsqlConnection connection, BronzeBatch batch, CancellationToken cancellationToken);

    RefinedBatch Transform(BronzeBatch batch, IReadOnlyList<BronzeRow> rows);

    /// <summary>
    /// Writes a refined batch inside the caller's transaction: quarantine, staging by binary COPY, the set-based merge and
    /// what follows from it. Returns the outcome per bronze batch: this one, and any whose pending rows it released.
    /// <paramref name="alone"/>: whether the caller holds <see cref="SilverLock"/> alone.
    /// </summary>
    Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch refined, bool alone, CancellationToken cancellationToken);
}

/// <summary>Thrown by a batch holding <see cref="SilverLock"/> shared that finds it must write alone; it is written again, alone.</summary>
public sealed class WriteAloneException(string message) : Exception(message);

/// <summary>A bronze row that goes to quarantine: where it came from, its business key and every rule it failed.</summary>
public sealed record QuarantinedRow(long RowNumber, string SourceSystem, string? BusinessKey, string[] FailedRules);

/// <summary>One expectation's verdicts over a batch.</summary>
public sealed record ExpectationResult(string Name, ExpectationSeverity Severity, long Passed, long Failed);

/// <summary>Where a bronze batch's rows went (the refined batch itself, or an earlier one whose pending rows were released).</summary>
public sealed record BatchCounts(Guid BatchId, long Written, long Superseded, long Pending, long Warned);

public abstract class RefinedBatch(BronzeBatch batch, IReadOnlyList<QuarantinedRow> quarantined, IReadOnlyList<ExpectationResult> results)
{
    public BronzeBatch Batch { get; } = batch;

    public IReadOnlyList<QuarantinedRow> Quarantined { get; } = quarantined;

    public IReadOnlyList<ExpectationResult> Results { get; } = results;

    /// <summary>The <c>fail</c> expectations some row broke: when there is one, nothing of the batch is written.</summary>
    public IReadOnlyList<string> FailedExpectations { get; } =
        [.. results.Where(r => r.Severity == ExpectationSeverity.Fail && r.Failed > 0).Select(r => r.Name)];
}

public sealed class RefinedBatch<TRow>(BronzeBatch batch, IReadOnlyList<TRow> staged, IReadOnlyList<QuarantinedRow> quarantined, IReadOnlyList<ExpectationResult> results)
    : RefinedBatch(batch, quarantined, results)
{
    /// <summary>The rows that passed every <c>drop</c> expectation, in row order.</summary>
    public IReadOnlyList<TRow> Staged { get; } = staged;
}

/// <summary>A parsed row that carries the <c>warn</c> expectations it failed into silver.</summary>
public interface IValidatedRow
{
    string SourceSystem { get; }

    /// <summary>The source system of the file the row came from (as ingestion recorded it).</summary>
    string FileSourceSystem { get; }

    /// <summary>Why ingestion found the CSV record malformed (it kept the raw text in <c>_rescued_data</c>); null for a well-formed one.</summary>
    string? RecordError { get; }

    string? BusinessKey { get; }

    string[] FailedWarnings { get; set; }
}

/// <summary>The parallel half of refining: parse each row, evaluate the entity's expectations, stage or quarantine it.</summary>
public abstract class EntityRefiner<TRow>(ExpectationSet<TRow> expectations, int chunkRows) : IEntityRefiner
    where TRow : class, IValidatedRow
{
    public string Entity => expectations.Entity;

    public abstract IReadOnlyList<string> BronzeColumns { get; }

    public virtual IEnumerable<ExpectationDescription> Expectations => expectations.Describe();

    public virtual Task<bool> WritesAloneAsync(NpgsqlConnection connection, BronzeBatch batch, CancellationToken cancellationToken) => Task.FromResult(true);

    protected ExpectationSet<TRow> ExpectationSet => expectations;

    public RefinedBatch Transform(BronzeBatch batch, IReadOnlyList<BronzeRow> rows)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rows);

        var staged = new TRow?[rows.Count];
        var quarantined = new QuarantinedRow?[rows.Count];
        var total = expectations.NewTally();
        var chunks = (rows.Count + chunkRows - 1) / chunkRows;
        Parallel.For(0, chunks, expectations.NewTally, (chunk, _, tally) =>
        {
            var end = Math.Min(rows.Count, (chunk + 1) * chunkRows);
            for (var i = chunk * chunkRows; i < end; i++)
            {
                var row = Parse(rows[i], batch);
                var verdict = expectations.Evaluate(row, tally);
                if (verdict.IsDropped)
                {
                    quarantined[i] = new QuarantinedRow(rows[i].RowNumber, row.SourceSystem, row.BusinessKey, verdict.Dropped);
                }
                else
                {
                    row.FailedWarnings = verdict.Warned;
                    staged[i] = row;
                }
            }

            return tally;
        }, tally =>
        {
            lock (total)
            {
                total.Add(tally);
            }
        });

        var results = expectations.All
            .Select((e, i) => new ExpectationResult(e.Name, e.Severity, total.Passed[i], total.Failed[i]))
            .ToList();
        return new RefinedBatch<TRow>(batch, [.. staged.OfType<TRow>()], [.. quarantined.OfType<QuarantinedRow>()], results);
    }

    public Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch refined, bool alone, CancellationToken cancellationToken) =>
        WriteAsync(connection, (RefinedBatch<TRow>)refined, alone, cancellationToken);

    protected abstract TRow Parse(BronzeRow row, BronzeBatch batch);

    protected abstract Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch<TRow> refined, bool alone, CancellationToken cancellationToken);
}
