using HealthMedallion.Refinement.Batches;

namespace HealthMedallion.Refinement.Expectations;

/// <summary>Expectations every entity declares the same way.</summary>
public static class RecordExpectations
{
    public const string WellFormedRecord = "well_formed_record";

    /// <summary>A malformed record (a truncated last line, say) is dropped whatever its fields say: they are not where the header puts them.</summary>
    public static Expectation<TRow> WellFormed<TRow>() where TRow : IValidatedRow => new(WellFormedRecord, ExpectationSeverity.Drop,
        "the CSV record has as many fields as the header (bronze keeps the raw text of one that has not in _rescued_data)",
        r => r.RecordError is null);

    /// <summary>
    /// A row from a system the entity does not take, or from another system than its file's, fails the batch: the feed is
    /// misrouted. A malformed record is left to <see cref="WellFormed{TRow}"/>, as its source_system may simply be cut off.
    /// </summary>
    public static Expectation<TRow> ValidSourceSystem<TRow>(params string[] systems) where TRow : IValidatedRow => new("valid_source_system", ExpectationSeverity.Fail,
        $"source_system is {string.Join(" or ", systems)} and is the system the file came from (otherwise the feed is misrouted)",
        r => r.RecordError is not null || (systems.Contains(r.SourceSystem) && r.SourceSystem == r.FileSourceSystem));
}
