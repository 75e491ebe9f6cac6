namespace HealthMedallion.Refinement.Expectations;

/// <summary>The expectations of one entity, evaluated together on every row, with a tally per expectation.</summary>
public sealed class ExpectationSet<TRow>
{
    private readonly Expectation<TRow>[] _expectations;

    public ExpectationSet(string entity, IEnumerable<Expectation<TRow>> expectations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entity);
        ArgumentNullException.ThrowIfNull(expectations);
        Entity = entity;
        _expectations = [.. expectations];
        var duplicate = _expectations.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Expectation '{duplicate.Key}' of {entity} is declared more than once.", nameof(expectations));
        }
    }

    public string Entity { get; }

    public IReadOnlyList<Expectation<TRow>> All => _expectations;

    public IEnumerable<ExpectationDescription> Describe() =>
        _expectations.Select(e => new ExpectationDescription(Entity, e.Name, e.Severity, e.Description));

    public ExpectationTally NewTally() => new(_expectations.Length);

    /// <summary>Evaluates every expectation on <paramref name="row"/> (none is skipped, so that every result is counted).</summary>
    public RowVerdict Evaluate(TRow row, ExpectationTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        List<string>? dropped = null, warned = null;
        var failed = false;
        for (var i = 0; i < _expectations.Length; i++)
        {
            var expectation = _expectations[i];
            if (expectation.Holds(row))
            {
                tally.Passed[i]++;
                continue;
            }

            tally.Failed[i]++;
            switch (expectation.Severity)
            {
                case ExpectationSeverity.Warn:
                    (warned ??= []).Add(expectation.Name);
                    break;
                case ExpectationSeverity.Drop:
                    (dropped ??= []).Add(expectation.Name);
                    break;
                default:
                    failed = true;
                    break;
            }
        }

        return new RowVerdict(dropped?.ToArray() ?? [], warned?.ToArray() ?? [], failed);
    }
}

/// <summary>What the expectations said about one row.</summary>
public readonly record struct RowVerdict(string[] Dropped, string[] Warned, bool FailsBatch)
{
    public bool IsDropped => Dropped.Length > 0;
}

/// <summary>Rows that passed and failed each expectation of a set, by position; tallies of parallel workers are added up.</summary>
public sealed class ExpectationTally(int expectations)
{
    public long[] Passed { get; } = new long[expectations];

    public long[] Failed { get; } = new long[expectations];

    public void Add(ExpectationTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < Passed.Length; i++)
        {
            Passed[i] += other.Passed[i];
            Failed[i] += other.Failed[i];
        }
    }
}
