namespace HealthMedallion.Refinement.Standardization;

/// <summary>
/// The four regions of the insurance data set (northeast, northwest, southeast, southwest) over the 50 states
/// and DC. The data set does not draw its lines; ours: the north-east coast and the Great Lakes states east of
/// Lake Michigan are NORTHEAST; Illinois westwards with the plains down to Missouri and Kansas, the Pacific
/// north-west and Alaska NORTHWEST; south of the Ohio river and east of Texas SOUTHEAST; Texas, Oklahoma, the
/// southern Rockies, California and Hawaii SOUTHWEST. The generator places its cities the same way.
/// </summary>
public static class Regions
{
    public const string Northeast = "NORTHEAST";
    public const string Northwest = "NORTHWEST";
    public const string Southeast = "SOUTHEAST";
    public const string Southwest = "SOUTHWEST";

    private static readonly Dictionary<string, string> ByState = Build(
        (Northeast, ["CT", "DC", "DE", "IN", "MA", "MD", "ME", "MI", "NH", "NJ", "NY", "OH", "PA", "RI", "VT", "WV"]),
        (Northwest, ["AK", "IA", "ID", "IL", "KS", "MN", "MO", "MT", "ND", "NE", "OR", "SD", "WA", "WI", "WY"]),
        (Southeast, ["AL", "AR", "FL", "GA", "KY", "LA", "MS", "NC", "SC", "TN", "VA"]),
        (Southwest, ["AZ", "CA", "CO", "HI", "NM", "NV", "OK", "TX", "UT"]));

    /// <summary>The region of a two-letter state code (upper case), or null for anything else.</summary>
    public static string? OfState(string state) => ByState.GetValueOrDefault(state);

    private static Dictionary<string, string> Build(params (string Region, string[] States)[] regions)
    {
        var byState = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (region, states) in regions)
        {
            foreach (var state in states)
            {
                byState.Add(state, region);
            }
        }

        return byState;
    }
}
