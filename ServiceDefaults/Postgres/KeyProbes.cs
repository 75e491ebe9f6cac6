namespace HealthMedallion.ServiceDefaults.Postgres;

/// <summary>
/// Runs a statement that joins a batch's rows with a large table with hash and merge joins off, so that each row probes
/// the table's index. The planner prefers to read and hash the whole table, which costs a batch the size of the table
/// rather than its own, and grows with every batch the table takes. Only for statements whose every join has a full
/// index (or a row address) on its large side: a nested loop without one is quadratic.
/// </summary>
public static class KeyProbes
{
    public static string Around(string statement) => $"""
        SET LOCAL enable_hashjoin = off;
        SET LOCAL enable_mergejoin = off;
        {statement}
        SET LOCAL enable_hashjoin TO DEFAULT;
        SET LOCAL enable_mergejoin TO DEFAULT;
        """;
}
