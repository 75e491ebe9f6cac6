using System.Globalization;
using System.Text.RegularExpressions;

namespace HealthMedallion.GoldModeling.Queries;

/// <summary>The filters a mart can take; each mart declares which (see <see cref="MartCatalog"/>).</summary>
[Flags]
public enum MartFilters
{
    None = 0,
    DateRange = 1,
    Region = 2,
    Plan = 4,
    AgeBand = 8,
    All = DateRange | Region | Plan | AgeBand,
}

/// <summary>A validated dashboard query: filters (null when not given) and a page.</summary>
public sealed partial record MartRequest(DateOnly? From, DateOnly? To, string? Region, string? Plan, string? AgeBand, int Page, int PageSize)
{
    public const int MaxPageSize = 1000;

    public static readonly IReadOnlyList<string> Regions = ["NORTHEAST", "NORTHWEST", "SOUTHEAST", "SOUTHWEST", "UNKNOWN"];

    public static readonly IReadOnlyList<string> AgeBands = ["0-17", "18-34", "35-49", "50-64", "65-74", "75+", "unknown"];

    public int Offset => (Page - 1) * PageSize;

    /// <summary>
    /// Parses and checks the query-string values against what <paramref name="mart"/> accepts; the errors name each bad
    /// field (for a 400 problem-details answer). A filter the mart has no dimension for is an error, not silently ignored.
    /// </summary>
    public static MartRequest? TryCreate(
        MartDescription mart, string? from, string? to, string? region, string? plan, string? ageBand, string? page, string? pageSize,
        out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(mart);
        errors = [];
        var fromDate = Date("from", from, errors);
        var toDate = Date("to", to, errors);
        if (fromDate > toDate)
        {
            errors["to"] = ["to must not be before from."];
        }

        var regionValue = region?.Trim().ToUpperInvariant();
        if (regionValue is not null && !Regions.Contains(regionValue))
        {
            errors["region"] = [$"region must be one of {string.Join(", ", Regions)}."];
        }

        if (plan is not null && !PlanPattern().IsMatch(plan))
        {
            errors["plan"] = ["plan must be 1-64 letters, digits, spaces, '-' or '_'."];
        }

        if (ageBand is not null && !AgeBands.Contains(ageBand))
        {
            errors["ageBand"] = [$"ageBand must be one of {string.Join(", ", AgeBands)}."];
        }

        Unsupported(mart, MartFilters.DateRange, from is not null || to is not null, "from", errors);
        Unsupported(mart, MartFilters.Region, region is not null, "region", errors);
        Unsupported(mart, MartFilters.Plan, plan is not null, "plan", errors);
        Unsupported(mart, MartFilters.AgeBand, ageBand is not null, "ageBand", errors);

        var pageNumber = Whole("page", page, 1, 1, 1_000_000, errors);
        var size = Whole("pageSize", pageSize, 100, 1, MaxPageSize, errors);
        return errors.Count > 0 ? null : new MartRequest(fromDate, toDate, regionValue, plan, ageBand, pageNumber, size);
    }

    private static DateOnly? Date(string field, string? value, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        errors[field] = [$"{field} must be a date as yyyy-MM-dd."];
        return null;
    }

    private static int Whole(string field, string? value, int fallback, int min, int max, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return fallback;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }

        errors[field] = [$"{field} must be a whole number from {min} to {max}."];
        return fallback;
    }

    private static void Unsupported(MartDescription mart, MartFilters filter, bool given, string field, Dictionary<string, string[]> errors)
    {
        if (given && !mart.Filters.HasFlag(filter))
        {
            errors[field] = [$"The {mart.Name} mart cannot be filtered by {field}; it takes {mart.FilterNames}."];
        }
    }

    [GeneratedRegex("^[A-Za-z0-9 _-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlanPattern();
}
