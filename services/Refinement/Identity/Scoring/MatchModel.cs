using HealthMedallion.Refinement.Identity.Comparison;

namespace HealthMedallion.Refinement.Identity.Scoring;

/// <summary>
/// A Fellegi-Sunter model: for each field and level, m (the probability of that level when the two records are one
/// person) and u (when they are not), and the prior share of matches among candidate pairs. A pair's match weight is
/// the sum over its present fields of log2(m/u); its match probability is the posterior given the prior.
/// </summary>
public sealed record MatchModel(double Prior, double[][] M, double[][] U, DateTimeOffset EstimatedAt, string Source)
{
    /// <summary>Packs a comparison's levels, four bits a field (15 for a missing field): the EM and the weight lookups work on patterns.</summary>
    public static ulong Pattern(ReadOnlySpan<byte> levels)
    {
        ulong pattern = 0;
        for (var f = levels.Length - 1; f >= 0; f--)
        {
            pattern = (pattern << 4) | (levels[f] == IdentityFields.Missing ? 15UL : levels[f]);
        }

        return pattern;
    }

    public static int LevelOf(ulong pattern, int field) => (int)((pattern >> (4 * field)) & 15);

    public double FieldWeight(int field, int level) => Math.Log2(M[field][level] / U[field][level]);

    public double Weight(ulong pattern)
    {
        var weight = 0.0;
        for (var f = 0; f < M.Length; f++)
        {
            var level = LevelOf(pattern, f);
            if (level != 15)
            {
                weight += FieldWeight(f, level);
            }
        }

        return weight;
    }

    /// <summary>Posterior probability that a pair of this weight is one person.</summary>
    public double Probability(double weight)
    {
        var logOdds = weight + Math.Log2(Prior / (1 - Prior));
        return logOdds > 60 ? 1 : logOdds < -60 ? 0 : 1 / (1 + Math.Pow(2, -logOdds));
    }

    /// <summary>
    /// The starting values: the EM's first guess, and the model used until the data has estimated one (a nearly empty
    /// database). Generic, not fitted to any data: most matches agree at a field's best level and rarely disagree;
    /// two different people share an identifier (MRN, SSN hash, phone, e-mail) about once in ten thousand pairs and
    /// agree on a demographic value about once in a hundred.
    /// </summary>
    public static MatchModel Starting()
    {
        var fields = IdentityFields.All;
        var m = new double[fields.Count][];
        var u = new double[fields.Count][];
        for (var f = 0; f < fields.Count; f++)
        {
            var levels = fields[f].LevelCount;
            var identifier = f is IdentityFields.Mrn or IdentityFields.SsnHash or IdentityFields.Phone or IdentityFields.Email;
            m[f] = new double[levels];
            u[f] = new double[levels];
            for (var l = 0; l < levels; l++)
            {
                var last = l == levels - 1;
                m[f][l] = levels == 2 ? (l == 0 ? 0.95 : 0.05) : l == 0 ? 0.9 : last ? 0.02 : 0.08 / (levels - 2);
                u[f][l] = l == 0 ? (identifier ? 1e-4 : 0.01) : last ? 0 : 0.01;
            }

            u[f][levels - 1] = 1 - u[f].Sum();
        }

        return new MatchModel(0.1, m, u, DateTimeOffset.MinValue, "starting_values");
    }
}
