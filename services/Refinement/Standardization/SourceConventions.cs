using System.Globalization;

namespace HealthMedallion.Refinement.Standardization;

/// <summary>
/// How each source system writes its dates and times (see services/Generator/README.md). A value is parsed
/// only with its own source's formats, never guessed: <c>03/04/2025</c> is 4 March from the ADT and
/// unparseable from anyone else. Times without a zone are the sources' UTC.
/// </summary>
/// <param name="PatientIdPrefix">The first letter of the patient ids the source's rows carry (claims carry the EHR's).</param>
public sealed record SourceConventions(string SourceSystem, char PatientIdPrefix, string[] DateFormats, string[] DateTimeFormats)
{
    public const string Ehr = "EHR_SYSTEM";
    public const string Adt = "ADT_SYSTEM";
    public const string Lab = "LAB_SYSTEM";
    public const string Claims = "CLAIMS_SYSTEM";

    private const DateTimeStyles Utc = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;

    public static SourceConventions EhrSystem { get; } = new(Ehr, 'P', ["yyyy-MM-dd"], ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"]);

    public static SourceConventions AdtSystem { get; } = new(Adt, 'A', ["MM/dd/yyyy"], ["yyyy-MM-dd HH:mm:ss"]);

    public static SourceConventions LabSystem { get; } = new(Lab, 'L', ["yyyyMMdd"], ["yyyyMMddHHmmss"]);

    public static SourceConventions ClaimsSystem { get; } = new(Claims, 'P', ["dd-MMM-yyyy"], []);

    /// <summary>The conventions of a known source system, or null for a system nobody declared.</summary>
    public static SourceConventions? Of(string? sourceSystem) => sourceSystem switch
    {
        Ehr => EhrSystem,
        Adt => AdtSystem,
        Lab => LabSystem,
        Claims => ClaimsSystem,
        _ => null,
    };

    /// <summary>Whether <paramref name="patientId"/> has the form of the patient ids <paramref name="sourceSystem"/> sends: its prefix and eight digits.</summary>
    public static bool IsPatientIdOf(string sourceSystem, string? patientId) =>
        patientId is { Length: 9 } && Of(sourceSystem) is { } conventions && patientId[0] == conventions.PatientIdPrefix
        && !patientId.AsSpan(1).ContainsAnyExceptInRange('0', '9');

    public bool TryParseDate(string value, out DateOnly date) =>
        DateOnly.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    public bool TryParseDateTime(string value, out DateTime utc)
    {
        if (DateTime.TryParseExact(value, DateTimeFormats, CultureInfo.InvariantCulture, Utc, out utc))
        {
            return true;
        }

        utc = default;
        return false;
    }
}
