using HealthMedallion.Refinement.Identity.Records;

namespace HealthMedallion.Refinement.Identity.Clustering;

/// <summary>
/// Groups records into resolved patients. Records that were not touched keep the patient they have (their clusters
/// are not re-resolved); touched records start alone. Links are taken strongest first (accepted review decisions,
/// then by match probability), and a link merges two clusters only when nothing speaks against the result:
/// <list type="bullet">
/// <item>at most one record per source system (a source registers a person once): a twin's record cannot join the
/// cluster that already holds the other twin's record of that source;</item>
/// <item>no pair across the two clusters has a negative match weight (their own evidence says different people), so
/// one bad link cannot chain unrelated people together;</item>
/// <item>no pair across them was rejected by a reviewer.</item>
/// </list>
/// A cluster's patient id is its EHR record's id, else its ADT record's, else its lab record's: stable across runs.
/// </summary>
public sealed class IdentityClusters
{
    public const string SourceRecordRule = "source_record";
    public const string ProbabilisticRule = "fellegi_sunter";
    public const string MrnRule = "exact_mrn";
    public const string SsnHashRule = "exact_ssn_hash";
    public const string ReviewAcceptedRule = "review_accepted";

    private readonly IReadOnlyList<IdentityRecord> _records;
    private readonly Func<int, int, double> _weightOf;
    private readonly IReadOnlySet<long> _rejected;

    // Union-find over record indexes; each cluster's members form a ring through _next, its sources a bit mask at its root.
    private readonly int[] _parent;
    private readonly int[] _size;
    private readonly int[] _next;
    private readonly int[] _sources;
    private readonly ScoredPair?[] _deciding;
    private readonly bool[] _accepted;

    /// <param name="records">The records of the resolution.</param>
    /// <param name="weightOf">The match weight of any two of them (compared on demand for the guard).</param>
    /// <param name="rejected">Pairs (<see cref="ScoredPair.PairKey"/>) a reviewer rejected.</param>
    public IdentityClusters(IReadOnlyList<IdentityRecord> records, Func<int, int, double> weightOf, IReadOnlySet<long> rejected)
    {
        _records = records;
        _weightOf = weightOf;
        _rejected = rejected;
        _parent = new int[records.Count];
        _size = new int[records.Count];
        _next = new int[records.Count];
        _sources = new int[records.Count];
        _deciding = new ScoredPair?[records.Count];
        _accepted = new bool[records.Count];
        var existing = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            _parent[i] = i;
            _size[i] = 1;
            _next[i] = i;
            _sources[i] = 1 << records[i].Source;
            if (!records[i].Touched && records[i].PatientId is { } patient)
            {
                if (existing.TryGetValue(patient, out var root))
                {
                    Union(root, i);
                }
                else
                {
                    existing[patient] = i;
                }
            }
        }
    }

    /// <summary>Applies accepted review decisions (as certain links) and then <paramref name="links"/>, strongest first.</summary>
    public void Link(IEnumerable<ScoredPair> accepted, IEnumerable<ScoredPair> links)
    {
        foreach (var link in accepted)
        {
            if (TryMerge(link, checkWeights: false))
            {
                _accepted[link.First] = _accepted[link.Second] = true;
            }
        }

        var ordered = links.ToArray();
        Array.Sort(ordered, static (x, y) =>
            y.Probability.CompareTo(x.Probability) is var byProbability and not 0 ? byProbability
            : y.Weight.CompareTo(x.Weight) is var byWeight and not 0 ? byWeight
            : x.First != y.First ? x.First.CompareTo(y.First) : x.Second.CompareTo(y.Second));
        foreach (var link in ordered)
        {
            TryMerge(link, checkWeights: true);
        }
    }

    /// <summary>Whether the clusters of the two records could merge (for the review queue: a pair that could never join is not worth a reviewer's time).</summary>
    public bool CouldMerge(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        return ra != rb && (_sources[ra] & _sources[rb]) == 0 && Compatible(ra, rb, checkWeights: true, known: null);
    }

    public bool Together(int a, int b) => Find(a) == Find(b);

    /// <summary>Each record's patient, rule and probability after linking.</summary>
    public RecordResolution[] Resolve()
    {
        // The anchor of each cluster: its most trusted source's record (smallest id within a source).
        var anchor = new int[_records.Count];
        Array.Fill(anchor, -1);
        for (var i = 0; i < _records.Count; i++)
        {
            var root = Find(i);
            var current = anchor[root];
            if (current < 0 || _records[i].Source < _records[current].Source
                || (_records[i].Source == _records[current].Source && string.CompareOrdinal(_records[i].SourcePatientId, _records[current].SourcePatientId) < 0))
            {
                anchor[root] = i;
            }
        }

        var resolutions = new RecordResolution[_records.Count];
        for (var i = 0; i < _records.Count; i++)
        {
            var own = anchor[Find(i)];
            var patient = _records[own].SourcePatientId;
            var record = _records[i];
            resolutions[i] = own == i
                ? new RecordResolution(patient, SourceRecordRule, 1, null)
                : _deciding[i] is { } link
                    ? new RecordResolution(patient, _accepted[i] ? ReviewAcceptedRule : RuleOf(link.Pattern), _accepted[i] ? 1 : link.Probability, link)
                    : new RecordResolution(patient, record.MatchRule ?? ProbabilisticRule, (double)(record.MatchProbability ?? 0), null);
        }

        return resolutions;
    }

    /// <summary>
    /// The rule named in the lineage: the shared identifier when the link's records agreed on one (an MRN or SSN hash in
    /// common outweighs everything else), else the Fellegi-Sunter score. The probability is the model's either way.
    /// </summary>
    public static string RuleOf(ulong pattern) =>
        Scoring.MatchModel.LevelOf(pattern, Comparison.IdentityFields.Mrn) == 0 ? MrnRule
        : Scoring.MatchModel.LevelOf(pattern, Comparison.IdentityFields.SsnHash) == 0 ? SsnHashRule
        : ProbabilisticRule;

    private bool TryMerge(ScoredPair link, bool checkWeights)
    {
        var (ra, rb) = (Find(link.First), Find(link.Second));
        if (ra == rb || (_sources[ra] & _sources[rb]) != 0 || !Compatible(ra, rb, checkWeights, link))
        {
            return false;
        }

        _deciding[link.First] ??= link;
        _deciding[link.Second] ??= link;
        Union(ra, rb);
        return true;
    }

    /// <summary>
    /// Whether no pair across the two clusters speaks against joining them. <paramref name="known"/>, a link from a
    /// record of the first to one of the second, brings its own weight: that pair is not compared again (most links
    /// join two single records, whose only pair is the link's).
    /// </summary>
    private bool Compatible(int ra, int rb, bool checkWeights, ScoredPair? known)
    {
        var x = ra;
        do
        {
            var y = rb;
            do
            {
                if ((_rejected.Count > 0 && _rejected.Contains(ScoredPair.PairKey(x, y)))
                    || (checkWeights && (known is { } k && k.First == x && k.Second == y ? k.Weight : _weightOf(x, y)) < 0))
                {
                    return false;
                }

                y = _next[y];
            }
            while (y != rb);

            x = _next[x];
        }
        while (x != ra);

        return true;
    }

    private void Union(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        if (ra == rb)
        {
            return;
        }

        if (_size[ra] < _size[rb])
        {
            (ra, rb) = (rb, ra);
        }

        _parent[rb] = ra;
        _size[ra] += _size[rb];
        _sources[ra] |= _sources[rb];
        (_next[ra], _next[rb]) = (_next[rb], _next[ra]); // splice the two rings into one
    }

    private int Find(int i)
    {
        while (_parent[i] != i)
        {
            _parent[i] = _parent[_parent[i]];
            i = _parent[i];
        }

        return i;
    }
}
