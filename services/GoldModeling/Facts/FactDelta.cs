namespace HealthMedallion.GoldModeling.Facts;

/// <summary>
/// The incremental path both fact tables share: the silver rows in scope rebuilt as fact rows, compared with the facts
/// in one join, the differences kept as a signed delta (<c>gold_&lt;name&gt;_delta</c>: the old row with sign -1, the new
/// one with +1) for the marts, and applied to the facts: a row that changes is updated in place, only a row that leaves
/// is deleted and only one that arrives is inserted.
/// </summary>
/// <param name="Name">Stem of the temporary tables (<c>claim</c>: gold_claim_scope, gold_claim_rows, gold_claim_delta).</param>
/// <param name="Fact">The fact table.</param>
/// <param name="Silver">The silver table its rows come from.</param>
/// <param name="Key">The business key, shared by both.</param>
/// <param name="Columns">The fact table's columns, in its order.</param>
/// <param name="Rows">The fact rows of a silver relation (first argument), with a condition on the dimension rows to read (second).</param>
internal sealed record FactDelta(string Name, string Fact, string Silver, string Key, IReadOnlyList<string> Columns, Func<string, string, string> Rows)
{
    /// <summary>The SQL that applies the scope to the facts and leaves the delta; <paramref name="patientsChanged"/>: the batch changed patient versions (<c>gold_affected</c>).</summary>
    public string Sql(bool patientsChanged) => $"""
        -- The batch's rows (silver's index on _batch_id finds them) and, when patient versions changed, every row of those patients.
        CREATE TEMP TABLE gold_{Name}_scope ON COMMIT DROP AS
        SELECT s.* FROM {Silver} s WHERE s._batch_id = @batch
        {(patientsChanged ? $"UNION ALL SELECT s.* FROM {Silver} s JOIN gold_affected a ON a.patient_id = s.patient_id WHERE s._batch_id <> @batch" : "")};
        ANALYZE gold_{Name}_scope (patient_id);

        CREATE TEMP TABLE gold_{Name}_rows (LIKE {Fact}) ON COMMIT DROP;
        INSERT INTO gold_{Name}_rows ({List("")})
        {Rows($"gold_{Name}_scope", $"WHERE d.patient_id IN (SELECT patient_id FROM gold_{Name}_scope)")};
        ANALYZE gold_{Name}_rows ({Key}, patient_id);

        -- One join of the new rows with the facts gives both halves of each difference.
        CREATE TEMP TABLE gold_{Name}_delta ON COMMIT DROP AS
        SELECT x.* FROM gold_{Name}_rows n
        LEFT JOIN {Fact} f ON f.{Key} = n.{Key}
        CROSS JOIN LATERAL (VALUES (-1, {List("f.")}), (1, {List("n.")})) x(sign, {List("")})
        WHERE ({List("f.")}) IS DISTINCT FROM ({List("n.")}) AND (x.sign = 1 OR f.{Key} IS NOT NULL)
        {(patientsChanged ? $"""
            UNION ALL
            -- Facts of the patients in scope whose row silver no longer gives them (or whose patient has no version yet).
            SELECT -1, f.* FROM {Fact} f JOIN gold_affected a ON a.patient_id = f.patient_id
            WHERE NOT EXISTS (SELECT 1 FROM gold_{Name}_rows n WHERE n.{Key} = f.{Key})
            """ : "")};

        DELETE FROM {Fact} f USING gold_{Name}_delta d
        WHERE d.sign = -1 AND f.{Key} = d.{Key} AND NOT EXISTS (SELECT 1 FROM gold_{Name}_delta n WHERE n.sign = 1 AND n.{Key} = d.{Key});
        UPDATE {Fact} f SET ({List("", Key)}) = ({List("n.", Key)})
        FROM gold_{Name}_delta n WHERE n.sign = 1 AND f.{Key} = n.{Key};
        INSERT INTO {Fact} ({List("")})
        SELECT {List("n.")} FROM gold_{Name}_delta n
        WHERE n.sign = 1 AND NOT EXISTS (SELECT 1 FROM gold_{Name}_delta o WHERE o.sign = -1 AND o.{Key} = n.{Key});
        """;

    private string List(string alias, string? except = null) =>
        string.Join(", ", Columns.Where(c => c != except).Select(c => alias + c));
}
