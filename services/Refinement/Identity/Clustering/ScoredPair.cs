namespace HealthMedallion.Refinement.Identity.Clustering;

/// <summary>A compared candidate pair (indexes into the resolution's records), its comparison pattern, weight and probability.</summary>
public readonly record struct ScoredPair(int First, int Second, ulong Pattern, double Weight, double Probability)
{
    public long Key => PairKey(First, Second);

    public static long PairKey(int a, int b) => a < b ? ((long)a << 32) | (uint)b : ((long)b << 32) | (uint)a;
}

/// <summary>Why a record belongs to its patient: the link that joined it, or being the patient's own record.</summary>
public sealed record RecordResolution(string PatientId, string Rule, double Probability, ScoredPair? Link);
