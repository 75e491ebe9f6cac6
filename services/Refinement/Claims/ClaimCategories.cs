namespace HealthMedallion.Refinement.Claims;

/// <summary>
/// The service line of a claim, from its procedure (CPT ranges of the AMA's sections, HCPCS level II letters) and
/// its diagnosis (ICD-10-CM chapters). Pregnancy and mental-health diagnoses decide over the procedure, so that an
/// office visit for depression is behavioural health; a screening diagnosis (Z00-Z13, Z23) makes a visit preventive.
/// </summary>
public static class ClaimCategories
{
    public const string Emergency = "EMERGENCY";
    public const string Inpatient = "INPATIENT";
    public const string Preventive = "PREVENTIVE";
    public const string OfficeVisit = "OFFICE_VISIT";
    public const string BehavioralHealth = "BEHAVIORAL_HEALTH";
    public const string Maternity = "MATERNITY";
    public const string Imaging = "IMAGING";
    public const string Laboratory = "LABORATORY";
    public const string Surgery = "SURGERY";
    public const string Medicine = "MEDICINE";
    public const string DrugsAndSupplies = "DRUGS_SUPPLIES";
    public const string Other = "OTHER";

    public static IReadOnlyList<string> All { get; } =
        [Emergency, Inpatient, Preventive, OfficeVisit, BehavioralHealth, Maternity, Imaging, Laboratory, Surgery, Medicine, DrugsAndSupplies, Other];

    public static string Of(string? procedureCode, string diagnosisCode)
    {
        ArgumentNullException.ThrowIfNull(diagnosisCode);
        var code = procedureCode ?? "";
        var cpt = code.Length == 5 && int.TryParse(code, out var number) ? number : -1;

        if (diagnosisCode.StartsWith('O') || cpt is >= 59000 and <= 59899)
        {
            return Maternity;
        }

        if (diagnosisCode.StartsWith('F') || cpt is >= 90785 and <= 90899)
        {
            return BehavioralHealth;
        }

        return cpt switch
        {
            >= 99281 and <= 99288 => Emergency,
            >= 99221 and <= 99239 => Inpatient,
            >= 99381 and <= 99429 => Preventive,
            (>= 99202 and <= 99215) or (>= 90460 and <= 90474) => IsScreening(diagnosisCode) ? Preventive : OfficeVisit,
            >= 70010 and <= 79999 => Imaging,
            (>= 80047 and <= 89398) or 36415 => Laboratory,
            >= 10004 and <= 69990 => Surgery,
            >= 90281 and <= 99607 => Medicine,
            _ when code.Length == 5 && code[4] == 'U' => Laboratory, // proprietary laboratory analyses
            _ when code.StartsWith('J') => DrugsAndSupplies,
            _ => Other,
        };
    }

    private static bool IsScreening(string diagnosis) =>
        diagnosis.StartsWith("Z23", StringComparison.Ordinal)
        || (diagnosis.Length >= 3 && diagnosis[0] == 'Z' && diagnosis[1] is '0' or '1' && int.TryParse(diagnosis.AsSpan(1, 2), out var chapter) && chapter <= 13);
}
