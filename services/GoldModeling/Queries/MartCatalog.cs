namespace HealthMedallion.GoldModeling.Queries;

/// <summary>A mart as the query API offers it, whatever engine answers: its name (the endpoint), grain and filters.</summary>
public sealed record MartDescription(string Name, string Grain, MartFilters Filters, string Description)
{
    public string FilterNames => Filters == MartFilters.None
        ? "no filters"
        : string.Join(", ", new[] { (MartFilters.DateRange, "from/to"), (MartFilters.Region, "region"), (MartFilters.Plan, "plan"), (MartFilters.AgeBand, "ageBand") }
            .Where(f => Filters.HasFlag(f.Item1)).Select(f => f.Item2));
}

/// <summary>A page of a mart's answer: the total number of rows the filters give, and this page's rows (column name to value).</summary>
public sealed record MartPage(string Mart, int Page, int PageSize, long Total, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows);

/// <summary>Every mart of the query API. Each engine answers all of them.</summary>
public static class MartCatalog
{
    public static IReadOnlyList<MartDescription> All { get; } =
    [
        new("patient-risk-distribution", "risk category", MartFilters.Region | MartFilters.Plan | MartFilters.AgeBand,
            "Current patients per risk category, their share and claims."),
        new("patient-risk-stratification", "risk category x region x insurance plan x age band", MartFilters.Region | MartFilters.Plan | MartFilters.AgeBand,
            "Current patients, smokers, claims and admissions per risk stratum."),
        new("claims-cost", "diagnosis chapter x procedure code x claim status x insurance plan", MartFilters.DateRange | MartFilters.Plan,
            "Claims and cost by diagnosis chapter, procedure, status and plan, over the claim years the date range overlaps."),
        new("monthly-financials", "claim month", MartFilters.All,
            "Claimed, approved, denied and paid amounts and the denial rate per month."),
        new("utilization", "event month x region x age band", MartFilters.All,
            "Admissions, stays, average length of stay and lab volume."),
        new("provider-performance", "medical provider", MartFilters.None,
            "Events, distinct patients, admissions and average length of stay per provider (all time)."),
        new("hipaa-compliance", "check", MartFilters.None,
            "What the quality monitor checks of gold: de-identified ages, ZIP3 suppression, no PII columns."),
        new("executive-kpis", "one row", MartFilters.All,
            "Headline figures: claims, amounts, denial rate, admissions, average stay, patients and high-risk share."),
        new("top-expensive-patients", "patient (by patient id only)", MartFilters.Region | MartFilters.Plan | MartFilters.AgeBand,
            "Current patients by lifetime claims total, most expensive first."),
        new("revenue-by-age-group", "age band", MartFilters.All,
            "Claimed and paid amounts per age band (the patient's age band at the claim)."),
        new("region-cost-summary", "region", MartFilters.All,
            "Claims and amounts per region."),
        new("insurance-plan-summary", "insurance plan", MartFilters.All,
            "Claims, amounts and denial rate per insurance plan."),
        new("weekly-event-trends", "ISO week x event type", MartFilters.DateRange,
            "Medical events per week and type."),
        new("patient-360", "current patient", MartFilters.Region | MartFilters.Plan | MartFilters.AgeBand,
            "One row per current patient: de-identified demographics, risk, claims (lifetime and last 12 months), utilization, last admission, latest labs."),
    ];

    public static MartDescription? Find(string name) => All.FirstOrDefault(m => m.Name == name);
}

/// <summary>
/// Answers the marts' queries. PostgreSQL (<see cref="PostgresGoldQueryEngine"/>) is the default; a distributed engine
/// (Trino) can serve the same marts at scale behind the same API.
/// </summary>
public interface IGoldQueryEngine
{
    string Name { get; }

    Task<MartPage> QueryAsync(MartDescription mart, MartRequest request, CancellationToken cancellationToken);
}
