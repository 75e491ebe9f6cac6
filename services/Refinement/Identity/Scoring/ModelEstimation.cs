using HealthMedallion.Refinement.Identity.Comparison;
using HealthMedallion.Refinement.Identity.Records;

namespace HealthMedallion.Refinement.Identity.Scoring;

/// <summary>
/// Estimates a <see cref="MatchModel"/> from the data: u from random pairs of records of different sources (nearly all
/// of them different people), then m by expectation-maximisation over the candidate pairs' comparison patterns, u held
/// fixed, in sessions that leave out the fields of the key the pairs met under; then the prior.
/// </summary>
public static class ModelEstimation
{
    private const int MaxIterations = 100;
    private const double Tolerance = 1e-7;

    /// <summary>
    /// Level frequencies of <paramref name="samples"/> random pairs of records from different sources, drawn in parallel
    /// slices, each with its own fixed seed: the same data gives the same u.
    /// </summary>
    public static (double[][] U, long Pairs) EstimateU(IReadOnlyList<IdentityRecord> records, int samples)
    {
        const int Slices = 16;
        var fields = IdentityFields.All;
        var perSlice = new long[Slices][][];
        var pairsPerSlice = new long[Slices];
        Parallel.For(0, Slices, slice =>
        {
            var counts = fields.Select(f => new long[f.LevelCount]).ToArray();
            var random = new Random(20_240_601 + slice);
            Span<byte> levels = stackalloc byte[fields.Count];
            var wanted = samples / Slices;
            long pairs = 0;
            for (var attempt = 0; attempt < wanted * 4 && pairs < wanted && records.Count > 1; attempt++)
            {
                var a = records[random.Next(records.Count)];
                var b = records[random.Next(records.Count)];
                if (a.Source == b.Source)
                {
                    continue;
                }

                RecordComparison.Compare(a, b, levels);
                for (var f = 0; f < levels.Length; f++)
                {
                    if (levels[f] != IdentityFields.Missing)
                    {
                        counts[f][levels[f]]++;
                    }
                }

                pairs++;
            }

            perSlice[slice] = counts;
            pairsPerSlice[slice] = pairs;
        });

        // Add-one smoothing: a level never seen among random pairs (an MRN that agrees) is rare, not impossible.
        var u = new double[fields.Count][];
        for (var f = 0; f < fields.Count; f++)
        {
            var totals = new long[fields[f].LevelCount];
            foreach (var counts in perSlice)
            {
                for (var l = 0; l < totals.Length; l++)
                {
                    totals[l] += counts[f][l];
                }
            }

            var present = totals.Sum();
            u[f] = totals.Select(n => (n + 1.0) / (present + totals.Length)).ToArray();
        }

        return (u, pairsPerSlice.Sum());
    }

    /// <summary>
    /// m and the prior. Candidate pairs are not random: different people who meet under a key agree on that key far
    /// more often than u (from random pairs) says, and an EM over all fields would take them for matches. So, as the
    /// standard practice goes, m is estimated session by session: over the pairs that met under one kind of key, only
    /// for the fields that key does not involve (<paramref name="sessions"/>: each session's pattern counts and the
    /// fields it estimates, in order of preference). A field that no session could estimate keeps
    /// <paramref name="start"/>'s m. Finally the prior is estimated over all candidate pairs, m and u fixed.
    /// </summary>
    public static MatchModel EstimateM(
        IReadOnlyList<(IReadOnlyDictionary<ulong, long> Patterns, bool[] Estimates)> sessions, IReadOnlyDictionary<ulong, long> allPairs,
        double[][] u, MatchModel start, long randomPairs)
    {
        var fields = IdentityFields.All;
        var m = start.M.Select(x => (double[])x.Clone()).ToArray();
        var estimated = new bool[fields.Count];
        var notes = new List<string>();
        foreach (var (patterns, estimates) in sessions)
        {
            var (sessionM, enough, iterations) = RunEm(patterns, estimates, u, start);
            for (var f = 0; f < fields.Count; f++)
            {
                if (estimates[f] && enough[f] && !estimated[f])
                {
                    m[f] = sessionM[f];
                    estimated[f] = true;
                }
            }

            notes.Add($"{patterns.Values.Sum()} pairs/{iterations} iterations");
        }

        // The prior over all candidate pairs, with every field.
        var prior = Math.Clamp(start.Prior, 0.01, 0.99);
        var total = allPairs.Values.Sum(c => (double)c);
        for (var i = 0; i < MaxIterations && total > 0; i++)
        {
            var model = start with { Prior = prior, M = m, U = u };
            var matches = allPairs.Sum(e => model.Probability(model.Weight(e.Key)) * e.Value);
            var next = Math.Clamp(matches / total, 1e-6, 1 - 1e-6);
            var change = Math.Abs(next - prior);
            prior = next;
            if (change < Tolerance)
            {
                break;
            }
        }

        return new MatchModel(prior, m, u, DateTimeOffset.UtcNow,
            $"em: {total:0} candidate pairs, sessions {string.Join(", ", notes)}, {randomPairs} random pairs; estimated: "
            + string.Join(" ", fields.Where((_, f) => estimated[f]).Select(f => f.Name)));
    }

    /// <summary>One EM session: m of the fields it <paramref name="estimates"/> (the others left out of the likelihood), u fixed.</summary>
    private static (double[][] M, bool[] Enough, int Iterations) RunEm(IReadOnlyDictionary<ulong, long> patterns, bool[] estimates, double[][] u, MatchModel start)
    {
        var fields = IdentityFields.All;
        var m = start.M.Select(x => (double[])x.Clone()).ToArray();
        var enough = new bool[fields.Count];
        var prior = Math.Clamp(start.Prior, 0.01, 0.99);
        var entries = patterns.ToArray();
        var total = entries.Sum(e => (double)e.Value);
        var iterations = 0;
        for (; iterations < MaxIterations && total > 0; iterations++)
        {
            var expected = fields.Select(f => new double[f.LevelCount]).ToArray();
            var matches = 0.0;
            foreach (var (pattern, count) in entries)
            {
                // E: the posterior that pairs with this pattern are matches, on the session's fields only.
                var weight = Math.Log2(prior / (1 - prior));
                for (var f = 0; f < fields.Count; f++)
                {
                    var level = MatchModel.LevelOf(pattern, f);
                    if (estimates[f] && level != 15)
                    {
                        weight += Math.Log2(m[f][level] / u[f][level]);
                    }
                }

                var posterior = (weight > 60 ? 1 : weight < -60 ? 0 : 1 / (1 + Math.Pow(2, -weight))) * count;
                matches += posterior;
                for (var f = 0; f < fields.Count; f++)
                {
                    var level = MatchModel.LevelOf(pattern, f);
                    if (estimates[f] && level != 15)
                    {
                        expected[f][level] += posterior;
                    }
                }
            }

            // M: the levels' shares among the expected matches (smoothed), and the matches' share of the session's pairs.
            var change = Math.Abs((matches / total) - prior);
            prior = Math.Clamp(matches / total, 1e-6, 1 - 1e-6);
            for (var f = 0; f < fields.Count; f++)
            {
                var present = expected[f].Sum();
                enough[f] = present >= 50;
                if (!estimates[f] || !enough[f])
                {
                    continue;
                }

                var next = expected[f].Select(e => (e + 0.5) / (present + (0.5 * expected[f].Length))).ToArray();
                change = Math.Max(change, next.Zip(m[f], (a, b) => Math.Abs(a - b)).Max());
                m[f] = next;
            }

            if (change < Tolerance)
            {
                break;
            }
        }

        return (m, enough, iterations + 1);
    }
}
