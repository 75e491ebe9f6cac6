namespace HealthMedallion.Generator.Generation;

/// <summary>
/// What one generation run produces. Same options (seed and <see cref="AsOf"/> included) give byte-identical files.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Beyond this, patient ids would run into the range reserved for orphans and test patients.</summary>
    public const int MaxPatients = 30_000_000;

    /// <summary>New people in this run (every one registered in EHR_SYSTEM).</summary>
    public int Patients { get; init; } = 10_000;

    public int Seed { get; init; } = 42;

    /// <summary>
    /// The run's "now": file names derive from it (to the minute) and no valid date lies after it. Defaults to
    /// the current UTC minute.
    /// </summary>
    public DateTimeOffset AsOf { get; init; } = TruncateToMinute(DateTimeOffset.UtcNow);

    /// <summary>Rows per landing file at most; a larger stream is split into numbered parts.</summary>
    public int PartRows { get; init; } = 250_000;

    /// <summary>Share of people also registered in ADT_SYSTEM (admissions) and LAB_SYSTEM, each under its own id.</summary>
    public double AdtShare { get; init; } = 0.6;

    public double LabShare { get; init; } = 0.5;

    /// <summary>Share of ADT/LAB registrations whose demographics differ from the EHR's (nickname, typo, ...).</summary>
    public double VariationRate { get; init; } = 0.35;

    /// <summary>Share of people who closely resemble another person (twins, namesakes, father and son).</summary>
    public double LookalikeRate { get; init; } = 0.02;

    public DefectRates Defects { get; init; } = new();

    /// <summary>The source systems to write; EHR_SYSTEM is always needed (claims and notes refer to its ids).</summary>
    public IReadOnlyList<string> Sources { get; init; } = SourceSystems.All;

    /// <summary>
    /// Index of this run's first person in the seed's population: an increment run continues the population of
    /// an earlier run (same seed) instead of starting it again.
    /// </summary>
    public int PatientOffset { get; init; }

    /// <summary>
    /// People of the earlier population (indices below <see cref="PatientOffset"/>) resent by EHR_SYSTEM with a
    /// change (address move or plan change) dated <see cref="AsOf"/>, so that history builds up downstream.
    /// </summary>
    public int UpdatedPatients { get; init; }

    public static DateTimeOffset TruncateToMinute(DateTimeOffset value) =>
        new(value.UtcDateTime.Ticks - (value.UtcDateTime.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    /// <summary>Every problem with these options, each naming its field (camelCase, as in the API).</summary>
    public IReadOnlyDictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        void Check(bool ok, string field, string message)
        {
            if (!ok)
            {
                errors[field] = [message];
            }
        }

        Check(Patients is >= 0 and <= MaxPatients, "patients", $"Must be between 0 and {MaxPatients:N0}.");
        Check(PartRows is >= 100 and <= 100_000_000, "partRows", "Must be between 100 and 100,000,000.");
        // Part numbers have three digits and interleave an entity's sources (lab events run at ~2.1 rows a person).
        Check(PartRows < 100 || 6.5 * ((long)Patients + UpdatedPatients) / PartRows <= 990, "partRows",
            "Too small for this many patients: an entity would need more than 999 parts.");
        Check(IsShare(AdtShare), "adtShare", "Must be between 0 and 1.");
        Check(IsShare(LabShare), "labShare", "Must be between 0 and 1.");
        Check(IsShare(VariationRate), "variationRate", "Must be between 0 and 1.");
        Check(LookalikeRate is >= 0 and <= 0.2, "lookalikeRate", "Must be between 0 and 0.2 (look-alikes are a small share of a population).");
        Check(PatientOffset >= 0 && (long)PatientOffset + Patients <= MaxPatients, "patientOffset", $"Must be 0 or more, with patientOffset + patients at most {MaxPatients:N0}.");
        Check(UpdatedPatients >= 0 && UpdatedPatients <= PatientOffset, "updatedPatients", "Must be between 0 and patientOffset (only existing people can be updated).");
        Check(AsOf.Year is >= 2000 and <= 2200, "asOf", "Must be a date between the years 2000 and 2200.");
        var unknown = Sources.Where(s => !SourceSystems.All.Contains(s)).ToArray();
        Check(unknown.Length == 0, "sources", $"Unknown source system(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", SourceSystems.All)}.");
        Check(Sources.Contains(SourceSystems.Ehr), "sources", "EHR_SYSTEM is required: every person is registered there and claims refer to its ids.");
        foreach (var (name, rate) in Defects.ByLabel())
        {
            Check(IsShare(rate), $"defects.{DefectRates.JsonName(name)}", "Must be between 0 and 1.");
        }

        if (!errors.Keys.Any(k => k.StartsWith("defects.", StringComparison.Ordinal)))
        {
            Check(Defects.RowRateTotal <= 0.5, "defects", "The row defect rates must add up to at most 0.5.");
        }
        return errors;
    }

    private static bool IsShare(double value) => value is >= 0 and <= 1 && !double.IsNaN(value);
}

/// <summary>
/// How often each class of defect is injected: per row of the entities it applies to, except the two file-level
/// classes (share of files). Defaults add up to a realistic few percent of rows.
/// </summary>
public sealed record DefectRates
{
    public double MissingRequiredField { get; init; } = 0.006;
    public double UnparseableDate { get; init; } = 0.003;
    public double FutureDate { get; init; } = 0.002;
    public double OutOfRangeAge { get; init; } = 0.002;
    public double OutOfRangeBmi { get; init; } = 0.003;
    public double InvalidClaimAmount { get; init; } = 0.003;
    public double MalformedIcd10 { get; init; } = 0.003;
    public double UnknownClaimStatus { get; init; } = 0.002;
    public double UnknownEventType { get; init; } = 0.002;
    public double TestPatient { get; init; } = 0.001;
    public double OrphanReference { get; init; } = 0.003;
    public double ExactDuplicate { get; init; } = 0.004;
    public double CorrectedResend { get; init; } = 0.003;

    /// <summary>Share of files with an extra, unexpected column.</summary>
    public double ExtraColumn { get; init; } = 0.1;

    /// <summary>Share of files whose last line is cut short (no line end, fields missing).</summary>
    public double TruncatedLastLine { get; init; } = 0.1;

    public static DefectRates None { get; } = new()
    {
        MissingRequiredField = 0, UnparseableDate = 0, FutureDate = 0, OutOfRangeAge = 0, OutOfRangeBmi = 0,
        InvalidClaimAmount = 0, MalformedIcd10 = 0, UnknownClaimStatus = 0, UnknownEventType = 0, TestPatient = 0,
        OrphanReference = 0, ExactDuplicate = 0, CorrectedResend = 0, ExtraColumn = 0, TruncatedLastLine = 0,
    };

    internal double RowRateTotal => ByLabel().Where(r => r.Defect is not (Defect.ExtraColumn or Defect.TruncatedLastLine)).Sum(r => r.Rate);

    internal double Rate(Defect defect) => defect switch
    {
        Defect.MissingRequiredField => MissingRequiredField,
        Defect.UnparseableDate => UnparseableDate,
        Defect.FutureDate => FutureDate,
        Defect.OutOfRangeAge => OutOfRangeAge,
        Defect.OutOfRangeBmi => OutOfRangeBmi,
        Defect.InvalidClaimAmount => InvalidClaimAmount,
        Defect.MalformedIcd10 => MalformedIcd10,
        Defect.UnknownClaimStatus => UnknownClaimStatus,
        Defect.UnknownEventType => UnknownEventType,
        Defect.TestPatient => TestPatient,
        Defect.OrphanReference => OrphanReference,
        Defect.ExactDuplicate => ExactDuplicate,
        Defect.CorrectedResend => CorrectedResend,
        Defect.ExtraColumn => ExtraColumn,
        Defect.TruncatedLastLine => TruncatedLastLine,
        _ => 0,
    };

    internal IEnumerable<(Defect Defect, double Rate)> ByLabel() =>
        Enum.GetValues<Defect>().Where(d => d != Defect.None).Select(d => (d, Rate(d)));

    internal static string JsonName(Defect defect)
    {
        var name = defect.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
