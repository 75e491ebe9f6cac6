namespace HealthMedallion.Refinement.Tests.Identity;

/// <summary>Pairwise precision, recall and F1 of a resolution against the truth: every pair of records counted once.</summary>
public sealed record PairwiseAccuracy(long TruePairs, long PredictedPairs, long TruePositives)
{
    public double Precision => PredictedPairs == 0 ? 1 : (double)TruePositives / PredictedPairs;

    public double Recall => TruePairs == 0 ? 1 : (double)TruePositives / TruePairs;

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>From each record's resolved patient and true person.</summary>
    public static PairwiseAccuracy Measure(IEnumerable<(string Patient, string Person)> records)
    {
        var list = records.ToList();
        static long Pairs(IEnumerable<int> sizes) => sizes.Sum(n => (long)n * (n - 1) / 2);
        return new PairwiseAccuracy(
            Pairs(list.GroupBy(r => r.Person).Select(g => g.Count())),
            Pairs(list.GroupBy(r => r.Patient).Select(g => g.Count())),
            Pairs(list.GroupBy(r => (r.Patient, r.Person)).Select(g => g.Count())));
    }
}
