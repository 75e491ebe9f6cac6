using HealthMedallion.GoldModeling.Modeling;

namespace HealthMedallion.GoldModeling.Facts;

/// <summary>
/// The incremental path both fact tables share: the silver rows in scope rebuilt as fact rows, then compared with the
/// facts and applied as a <see cref="SignedDelta"/> (facts of patients whose versions changed that silver no longer
/// gives them leave); and the rebuild's two halves, the emptied facts filled from all of silver and the delta that is
/// every fact.
/// </summary>
/// <param name="Name">Stem of the temporary tables (<c>claim</c>: gold_claim_scope, gold_claim_rows, gold_claim_delta).</param>
/// <param name="Fact">The fact table.</param>
/// <param name="Silver">The silver table its rows come from.</param>
/// <param name="Key">The business key, shared by both.</param>
/// <param name="Columns">The fact table's columns, in its order.</param>
/// <param name="Rows">The fact rows of a silver relation (first argument), with a condition on the dimension rows to read (second).</param>
internal sealed record FactDelta(string Name, string Fact, string Silver, string Key, IReadOnlyList<string> Columns, Func<string, string, string> Rows)
{
    private readonly SignedDelta _delta = new(Name, Fact, Key, Columns, ProbeKeys: true);

    /// <summary>The SQL that applies the scope to the facts and leaves the delta; <paramref name="patientsChanged"/>: the batch changed patient versions (<c>gold_affected</c>).</summary>
    public string Sql(bool patientsChanged) => $"""
        -- The batch's rows (silver's index on _batch_id finds them) and, when patient versions changed, every row of those patients.
        CREATE TEMP TABLE gold_{Name}_scope ON COMMIT DROP AS
        SELECT s.* FROM {Silver} s WHERE s._batch_id = @batch
        {(patientsChanged ? $"UNION ALL SELECT s.* FROM {Silver} s JOIN gold_affected a ON a.patient_id = s.patient_id WHERE s._batch_id <> @batch" : "")};
        ANALYZE gold_{Name}_scope (patient_id);

        -- In key order, which is nearly the facts' physical order: the key probes that follow then reach the facts' pages
        -- one after another instead of at random (0.6 s against 0.85 s for 100,000 claims at a million patients).
        CREATE TEMP TABLE gold_{Name}_rows (LIKE {Fact}) ON COMMIT DROP;
        INSERT INTO gold_{Name}_rows ({List("")})
        {Rows($"gold_{Name}_scope", $"WHERE d.patient_id IN (SELECT patient_id FROM gold_{Name}_scope)")}
        ORDER BY {Key};
        ANALYZE gold_{Name}_rows ({Key}, patient_id);

        {_delta.DeltaSql(patientsChanged ? "t.patient_id IN (SELECT patient_id FROM gold_affected)" : null)}
        {_delta.ApplySql}
        """;

    /// <summary>
    /// Applies a batch's scope to the facts and returns how many delta rows it left in <c>gold_&lt;name&gt;_delta</c>;
    /// out of scope (a batch of another entity that changed no patient), only the empty delta is created, for the steps
    /// after.
    /// </summary>
    public async Task<long> ApplyAsync(GoldSql sql, bool inScope, bool patientsChanged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (!inScope)
        {
            await sql.ExecuteAsync($"CREATE TEMP TABLE gold_{Name}_delta ON COMMIT DROP AS SELECT -1 AS sign, f.* FROM {Fact} f WHERE false", cancellationToken);
            return 0;
        }

        await sql.ExecuteAsync(Sql(patientsChanged), cancellationToken);
        return await sql.CountAsync($"SELECT count(*) FROM gold_{Name}_delta", cancellationToken);
    }

    /// <summary>A rebuild's fill of the emptied facts: every silver row goes straight in.</summary>
    public Task<long> RebuildAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync($"INSERT INTO {Fact} ({List("")}) {Rows(Silver, "")}", cancellationToken);
    }

    /// <summary>A rebuild's delta, for the marts that add it up: every fact, once (a temporary view, which outlives the transaction).</summary>
    public Task<long> ViewAllAsDeltaAsync(GoldSql sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql.ExecuteAsync($"CREATE TEMP VIEW gold_{Name}_delta AS SELECT 1 AS sign, f.* FROM {Fact} f", cancellationToken);
    }

    private string List(string alias) => string.Join(", ", Columns.Select(c => alias + c));
}
