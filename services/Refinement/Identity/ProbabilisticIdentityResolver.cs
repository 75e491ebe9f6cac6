using System.Diagnostics;
using System.Globalization;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Identity.Blocking;
using HealthMedallion.Refinement.Identity.Clustering;
using HealthMedallion.Refinement.Identity.Comparison;
using HealthMedallion.Refinement.Identity.Lineage;
using HealthMedallion.Refinement.Identity.Monitoring;
using HealthMedallion.Refinement.Identity.Records;
using HealthMedallion.Refinement.Identity.Review;
using HealthMedallion.Refinement.Identity.Scoring;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Identity;

/// <summary>What one resolution did, for logs and the benchmark.</summary>
public sealed record IdentityResolutionReport(
    int Records, int Touched, bool WholePopulation, long CandidatePairs, long ScoredPairs, long AutoLinks, long ReviewPairs, long Changes,
    bool ModelEstimated, double Prior, TimeSpan Read, TimeSpan Compare, TimeSpan Estimate, TimeSpan Cluster, TimeSpan Write);

/// <summary>
/// Probabilistic record linkage (Fellegi-Sunter) of the touched source records against the records around them:
/// blocking (<see cref="CandidatePairs"/>), graded comparison (<see cref="RecordComparison"/>), a model estimated from
/// the data (<see cref="ModelEstimation"/>), guarded clustering (<see cref="IdentityClusters"/>), lineage
/// (<see cref="IdentityLinks"/>), the review queue (<see cref="IdentityReviewQueue"/>) and the quality figures
/// (<see cref="IdentityQuality"/>). Runs inside the resolving transaction (<see cref="IPatientIdentityResolver"/>).
/// </summary>
public sealed class ProbabilisticIdentityResolver(IOptions<RefinementOptions> options, ILogger<ProbabilisticIdentityResolver> logger) : IPatientIdentityResolver
{
    private const int CompareChunk = 4_096;

    public async Task ResolveAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await ResolveWithReportAsync(connection, cancellationToken);

    public async Task<IdentityResolutionReport> ResolveWithReportAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var settings = options.Value.Identity;
        var clock = Stopwatch.StartNew();

        // 1. Read: the touched records (and accepted review pairs not applied yet) and what is around them.
        await IdentityReviewQueue.TouchAcceptedAsync(connection, cancellationToken);
        var touchedCount = await ScalarAsync(connection, "SELECT count(*) FROM touched_patient_records", cancellationToken);
        var population = await ScalarAsync(connection, "SELECT count(*) FROM silver.patient_records", cancellationToken);
        var wholePopulation = touchedCount >= settings.FullReadShare * population;
        List<IdentityRecord> records;
        if (wholePopulation)
        {
            // The whole population is read anyway: it is clustered again from scratch with a model estimated from all of it,
            // so that links made early with a model from little data are revisited, and silver does not depend on the
            // order in which batches came.
            // Name keys are brought up to date wherever they are stale (records stored before refinement wrote them).
            records = await IdentityScope.ReadAllAsync(connection, cancellationToken);
            await IdentityScope.WriteStaleKeysAsync(connection, records, cancellationToken);
        }
        else
        {
            records = await IdentityScope.ReadTouchedAsync(connection, cancellationToken);
            records.AddRange(await IdentityScope.ReadNeighboursAsync(connection, cancellationToken));
        }

        // A fixed order, so that the same records give the same pairs, sample, model and clusters whatever the physical order.
        records = FixedOrder(records);

        var read = clock.Elapsed;

        // 2. Block and compare. With the whole population at hand every candidate pair is compared, for the estimation.
        var estimate = wholePopulation && records.Count >= settings.MinPairsForEstimation;
        var pairs = CandidatePairs.Generate(records, touchedOnly: !wholePopulation);
        var patterns = Compare(records, pairs);
        var compared = clock.Elapsed;

        // 3. The model: estimated again from this data when there is enough of it, else the latest one.
        var model = await ModelStore.LatestAsync(connection, cancellationToken) ?? MatchModel.Starting();
        var estimated = false;
        if (estimate && pairs.Length >= settings.MinPairsForEstimation)
        {
            var (u, randomPairs) = ModelEstimation.EstimateU(records, settings.RandomPairs);
            var sessions = EstimationSessions(records, pairs, patterns);
            var all = new Dictionary<ulong, long>();
            foreach (var pattern in patterns)
            {
                all[pattern] = all.GetValueOrDefault(pattern) + 1;
            }

            // The EM starts from the fixed starting values, not the previous model: the same data gives the same model.
            model = await ModelStore.SaveAsync(connection, ModelEstimation.EstimateM(sessions, all, u, MatchModel.Starting(), randomPairs), cancellationToken);
            estimated = true;
        }

        var scored = new List<ScoredPair>(pairs.Length);
        for (var i = 0; i < pairs.Length; i++)
        {
            var (a, b) = pairs[i];
            if (records[a].Touched || records[b].Touched)
            {
                var weight = model.Weight(patterns[i]);
                scored.Add(new ScoredPair(a, b, patterns[i], weight, model.Probability(weight)));
            }
        }

        var modelled = clock.Elapsed;

        // 4. Cluster, respecting reviewers' decisions.
        var decided = await IdentityReviewQueue.DecidedAsync(connection, cancellationToken);
        var index = new Dictionary<(string, string), int>(decided.Count == 0 ? 0 : records.Count);
        for (var i = 0; decided.Count > 0 && i < records.Count; i++)
        {
            index[(records[i].SourceSystem, records[i].SourcePatientId)] = i;
        }

        var rejected = new HashSet<long>();
        var accepted = new List<(ScoredPair Link, ReviewItem Item)>();
        var decidedPairs = new HashSet<(string, string, string, string)>();
        foreach (var item in decided)
        {
            decidedPairs.Add((item.FirstSourceSystem, item.FirstSourcePatientId, item.SecondSourceSystem, item.SecondSourcePatientId));
            if (index.TryGetValue((item.FirstSourceSystem, item.FirstSourcePatientId), out var a)
                && index.TryGetValue((item.SecondSourceSystem, item.SecondSourcePatientId), out var b))
            {
                if (item.Status == IdentityReviewQueue.Rejected)
                {
                    rejected.Add(ScoredPair.PairKey(a, b));
                }
                else if (records[a].Touched || records[b].Touched)
                {
                    var pattern = PatternOf(records[a], records[b]);
                    accepted.Add((new ScoredPair(a, b, pattern, model.Weight(pattern), 1), item));
                }
            }
        }

        var clusters = new IdentityClusters(records, (a, b) => model.Weight(PatternOf(records[a], records[b])), rejected);
        var autoLinks = scored.Where(p => p.Probability >= settings.AutoLinkProbability).ToList();
        clusters.Link(accepted.Select(a => a.Link), autoLinks);
        var resolutions = clusters.Resolve();

        // Field levels are described once per comparison pattern (there are few), not once per record.
        var plainLevels = new Dictionary<ulong, string>();
        var weightedLevels = new Dictionary<ulong, string>();
        string Plain(ulong pattern) => plainLevels.TryGetValue(pattern, out var text) ? text : plainLevels[pattern] = IdentityLinks.Describe(pattern, null);
        string Weighted(ulong pattern) => weightedLevels.TryGetValue(pattern, out var text) ? text : weightedLevels[pattern] = IdentityLinks.Describe(pattern, model);

        var links = new List<ResolvedLink>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var resolution = resolutions[i];
            var probability = Math.Round((decimal)resolution.Probability, 4);
            var link = resolution.Link;
            var linkedTo = link is { } l ? records[l.First == i ? l.Second : l.First].ToString() : null;
            var levels = link is { } d ? Plain(d.Pattern) : null;

            // Unchanged records are not written (a whole-population resolution would otherwise rewrite every one). An
            // untouched record is only rewritten for a new patient, rule or probability; a record that kept its patient
            // without a link of its own keeps the link it has (IdentityLinks.WriteAsync).
            var keepsItsLink = link is null && resolution.Rule != IdentityClusters.SourceRecordRule;
            if (record.PatientId == resolution.PatientId && record.MatchRule == resolution.Rule && record.MatchProbability == probability
                && (!record.Touched || keepsItsLink || (record.LinkedTo == linkedTo && record.MatchLevels == levels)))
            {
                continue;
            }

            links.Add(new ResolvedLink(record.SourceSystem, record.SourcePatientId, resolution.PatientId, resolution.Rule, probability,
                linkedTo, link is { } w ? (float)w.Weight : null, levels, link is { } e ? Weighted(e.Pattern) : null, IsNew: record.PatientId is null));
        }

        // Uncertain pairs that could still join go to the review queue (decided pairs are never asked again).
        var review = new List<ReviewCandidate>();
        foreach (var pair in scored)
        {
            if (pair.Probability < settings.ReviewProbability || pair.Probability >= settings.AutoLinkProbability
                || clusters.Together(pair.First, pair.Second) || !clusters.CouldMerge(pair.First, pair.Second))
            {
                continue;
            }

            var (x, y) = Ordered(records[pair.First], records[pair.Second]);
            if (!decidedPairs.Contains((x.SourceSystem, x.SourcePatientId, y.SourceSystem, y.SourcePatientId)))
            {
                review.Add(new ReviewCandidate(x.SourceSystem, x.SourcePatientId, y.SourceSystem, y.SourcePatientId,
                    Math.Round((decimal)pair.Probability, 4), (float)pair.Weight, Weighted(pair.Pattern)));
            }
        }

        var applied = accepted.Where(a => a.Item.AppliedAt is null && clusters.Together(a.Link.First, a.Link.Second)).Select(a => a.Item.ReviewId).ToList();
        var clustered = clock.Elapsed;

        // 5. Write the map, its history, identity_changes, the patients concerned, the review queue and the figures.
        var changes = await IdentityLinks.WriteAsync(connection, links, cancellationToken);
        await WriteAffectedPatientsAsync(connection, records, resolutions, cancellationToken);
        await IdentityReviewQueue.WriteAsync(connection, review, applied, allPending: wholePopulation, cancellationToken);
        await IdentityQuality.RecordAsync(connection, links.Count, pairs.Length, model.EstimatedAt == DateTimeOffset.MinValue ? null : model.EstimatedAt, cancellationToken);

        var report = new IdentityResolutionReport(records.Count, (int)touchedCount, wholePopulation, pairs.Length, scored.Count, autoLinks.Count,
            review.Count, changes, estimated, model.Prior, read, compared - read, modelled - compared, clustered - modelled, clock.Elapsed - clustered);
        logger.LogInformation(
            "Identity: {Touched} touched of {Records} records read ({Mode}), {Pairs} candidate pairs, {Links} auto-links, {Review} to review; model {Model}; {Elapsed} ms (read {Read}, compare {Compare}, model {Estimate}, cluster {Cluster}, write {Write})",
            report.Touched, report.Records, wholePopulation ? "whole population" : "neighbours", report.CandidatePairs, report.AutoLinks, report.ReviewPairs,
            estimated ? "estimated" : model.Source, clock.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture),
            Ms(report.Read), Ms(report.Compare), Ms(report.Estimate), Ms(report.Cluster), Ms(report.Write));
        return report;
    }

    /// <summary>
    /// Adds to <c>affected_patients</c> the patients whose golden record the resolution may change: each touched record's
    /// patient, and the old and the new patient of each record that changed patient.
    /// </summary>
    private static async Task WriteAffectedPatientsAsync(
        NpgsqlConnection connection, List<IdentityRecord> records, RecordResolution[] resolutions, CancellationToken cancellationToken)
    {
        var affected = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            var (before, after) = (records[i].PatientId, resolutions[i].PatientId);
            if (records[i].Touched || before != after)
            {
                affected.Add(after);
            }

            if (before is not null && before != after)
            {
                affected.Add(before);
            }
        }

        await StageImport.WriteAsync(connection, "COPY affected_patients (patient_id) FROM STDIN (FORMAT BINARY)", [.. affected],
            (importer, patient) => importer.Write(patient, NpgsqlDbType.Text), cancellationToken);
    }

    /// <summary>By source, then by a hash of the id (cheap to compare), ties broken by the id itself.</summary>
    private static List<IdentityRecord> FixedOrder(List<IdentityRecord> records)
    {
        var keys = new ulong[records.Count];
        Parallel.For(0, records.Count, i =>
        {
            var hash = 14_695_981_039_346_656_037UL;
            foreach (var c in records[i].SourcePatientId)
            {
                hash = (hash ^ c) * 1_099_511_628_211UL;
            }

            keys[i] = ((ulong)records[i].Source << 60) | (hash >> 4);
        });
        var order = Enumerable.Range(0, records.Count).ToArray();
        Array.Sort(order, (x, y) => keys[x] != keys[y] ? keys[x].CompareTo(keys[y])
            : string.CompareOrdinal(records[x].SourceSystem, records[y].SourceSystem) is var bySystem and not 0 ? bySystem
            : string.CompareOrdinal(records[x].SourcePatientId, records[y].SourcePatientId));
        return [.. order.Select(i => records[i])];
    }

    private static string Ms(TimeSpan elapsed) => elapsed.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    private static ulong[] Compare(List<IdentityRecord> records, (int First, int Second)[] pairs)
    {
        var patterns = new ulong[pairs.Length];
        Parallel.For(0, (pairs.Length + CompareChunk - 1) / CompareChunk, chunk =>
        {
            Span<byte> levels = stackalloc byte[IdentityFields.Count];
            var end = Math.Min(pairs.Length, (chunk + 1) * CompareChunk);
            for (var i = chunk * CompareChunk; i < end; i++)
            {
                RecordComparison.Compare(records[pairs[i].First], records[pairs[i].Second], levels);
                patterns[i] = MatchModel.Pattern(levels);
            }
        });
        return patterns;
    }

    /// <summary>
    /// The EM sessions: the pairs that share a phone number estimate every field but the phone; the pairs that share a
    /// birth date and a name code estimate every field but the names and the birth date (location fields first from
    /// the latter, which is not tied to a place).
    /// </summary>
    private static List<(IReadOnlyDictionary<ulong, long>, bool[])> EstimationSessions(List<IdentityRecord> records, (int First, int Second)[] pairs, ulong[] patterns)
    {
        var byBirthAndName = new Dictionary<ulong, long>();
        var byPhone = new Dictionary<ulong, long>();
        for (var i = 0; i < pairs.Length; i++)
        {
            var (a, b) = (records[pairs[i].First], records[pairs[i].Second]);
            if (a.BirthDate is not null && a.BirthDate == b.BirthDate && SharesNameCode(a, b))
            {
                byBirthAndName[patterns[i]] = byBirthAndName.GetValueOrDefault(patterns[i]) + 1;
            }

            if (a.Phone is not null && a.Phone == b.Phone)
            {
                byPhone[patterns[i]] = byPhone.GetValueOrDefault(patterns[i]) + 1;
            }
        }

        var allBut = (int[] excluded) => Enumerable.Range(0, IdentityFields.Count).Select(f => !excluded.Contains(f)).ToArray();
        return
        [
            (byBirthAndName, allBut([IdentityFields.FirstName, IdentityFields.LastName, IdentityFields.Suffix, IdentityFields.BirthDate])),
            (byPhone, allBut([IdentityFields.Phone])),
        ];
    }

    private static bool SharesNameCode(IdentityRecord a, IdentityRecord b) =>
        (a.FirstPhonetic is not null && (a.FirstPhonetic == b.FirstPhonetic || a.FirstPhonetic == b.LastPhonetic))
        || (a.LastPhonetic is not null && (a.LastPhonetic == b.FirstPhonetic || a.LastPhonetic == b.LastPhonetic));

    private static ulong PatternOf(IdentityRecord a, IdentityRecord b)
    {
        Span<byte> levels = stackalloc byte[IdentityFields.Count];
        RecordComparison.Compare(a, b, levels);
        return MatchModel.Pattern(levels);
    }

    private static (IdentityRecord, IdentityRecord) Ordered(IdentityRecord a, IdentityRecord b)
    {
        var order = string.CompareOrdinal(a.SourceSystem, b.SourceSystem);
        return order < 0 || (order == 0 && string.CompareOrdinal(a.SourcePatientId, b.SourcePatientId) < 0) ? (a, b) : (b, a);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
