namespace HealthMedallion.Generator.Generation;

/// <summary>The classes of injected defects; <see cref="DefectLabels"/> gives the label each has in the ground truth.</summary>
internal enum Defect : byte
{
    None,
    MissingRequiredField,
    UnparseableDate,
    FutureDate,
    OutOfRangeAge,
    OutOfRangeBmi,
    InvalidClaimAmount,
    MalformedIcd10,
    UnknownClaimStatus,
    UnknownEventType,
    TestPatient,
    OrphanReference,
    ExactDuplicate,
    CorrectedResend,
    ExtraColumn,
    TruncatedLastLine,
}

/// <summary>Labels of the ground truth (lower snake case), defects and the other row labels.</summary>
public static class DefectLabels
{
    public const string MissingRequiredField = "missing_required_field";
    public const string UnparseableDate = "unparseable_date";
    public const string FutureDate = "future_date";
    public const string OutOfRangeAge = "out_of_range_age";
    public const string OutOfRangeBmi = "out_of_range_bmi";
    public const string InvalidClaimAmount = "invalid_claim_amount";
    public const string MalformedIcd10 = "malformed_icd10";
    public const string UnknownClaimStatus = "unknown_claim_status";
    public const string UnknownEventType = "unknown_event_type";
    public const string TestPatient = "test_patient";
    public const string OrphanReference = "orphan_reference";
    public const string ExactDuplicate = "exact_duplicate";
    public const string CorrectedResend = "corrected_resend";
    public const string ExtraColumn = "extra_column";
    public const string TruncatedLastLine = "truncated_last_line";

    /// <summary>Not a defect: the earlier row of a business key that a <see cref="CorrectedResend"/> row replaces.</summary>
    public const string Superseded = "superseded";

    /// <summary>Not a defect: an increment's change to an existing person (history for SCD type 2).</summary>
    public const string AddressMove = "address_move";

    public const string PlanChange = "plan_change";

    /// <summary>Every defect class, in a fixed order.</summary>
    public static IReadOnlyList<string> Defects { get; } =
    [
        MissingRequiredField, UnparseableDate, FutureDate, OutOfRangeAge, OutOfRangeBmi, InvalidClaimAmount, MalformedIcd10,
        UnknownClaimStatus, UnknownEventType, TestPatient, OrphanReference, ExactDuplicate, CorrectedResend, ExtraColumn,
        TruncatedLastLine,
    ];

    internal static string Of(Defect defect) => Defects[(int)defect - 1];
}
