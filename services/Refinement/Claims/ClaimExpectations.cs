using System.Text.RegularExpressions;
using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.Standardization;
using static HealthMedallion.Refinement.Expectations.ExpectationSeverity;

namespace HealthMedallion.Refinement.Claims;

/// <summary>What a claim row must satisfy; a claim that breaks any rule is quarantined, as a wrong claim is worse than a late one.</summary>
public static partial class ClaimExpectations
{
    public const decimal MaxAmount = 1_000_000m;

    public static ExpectationSet<ClaimRow> Set { get; } = new(Entities.Claims,
    [
        RecordExpectations.ValidSourceSystem<ClaimRow>(SourceConventions.Claims),
        RecordExpectations.WellFormed<ClaimRow>(),
        new("valid_claim_id", Drop,
            "claim_id is present",
            r => r.ClaimId is not null),
        new("required_fields_present", Drop,
            "patient_id, claim_date, claim_amount and diagnosis_code are present",
            r => r.PatientId is not null && r.RawDate is not null && r.RawAmount is not null && r.DiagnosisCode is not null),
        new("valid_patient_id", Drop,
            "patient_id, when present, is an EHR patient id (P and eight digits)",
            r => r.PatientId is null || SourceConventions.IsPatientIdOf(SourceConventions.Claims, r.PatientId)),
        new("valid_claim_date", Drop,
            "claim_date, when present, is a real date written dd-MMM-yyyy",
            r => r.RawDate is null || r.ClaimDate is not null),
        new("claim_date_not_in_future", Drop,
            "claim_date is not after the day the batch was ingested",
            r => r.ClaimDate is not { } date || date <= r.AsOfDate),
        new("valid_claim_amount", Drop,
            $"claim_amount, when present, is a number greater than 0 and less than {MaxAmount:N0}",
            r => r.RawAmount is null || r.Amount is > 0m and < MaxAmount),
        new("valid_icd10_format", Drop,
            "diagnosis_code, when present, has the ICD-10-CM form ^[A-Z][0-9][0-9A-Z](\\.[0-9A-Z]{1,4})?$",
            r => r.DiagnosisCode is null || Icd10Pattern().IsMatch(r.DiagnosisCode)),
        new("billable_icd10", Drop,
            "diagnosis_code, when well-formed, is a billable code of the ICD-10-CM 2021 release",
            r => r.DiagnosisCode is null || !Icd10Pattern().IsMatch(r.DiagnosisCode) || Icd10Codes.IsBillable(r.DiagnosisCode)),
        new("valid_procedure_code", Drop,
            "procedure_code, when present, has the CPT form (five digits, or four digits then F, T or U) or the HCPCS level II form (a letter A-V and four digits)",
            r => r.ProcedureCode is null || ProcedurePattern().IsMatch(r.ProcedureCode)),
        new("valid_claim_status", Drop,
            "claim_status is SUBMITTED, APPROVED, DENIED or PAID",
            r => r.Status is not null),
    ]);

    [GeneratedRegex(@"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex Icd10Pattern();

    [GeneratedRegex("^([0-9]{5}|[0-9]{4}[FTU]|[A-V][0-9]{4})$", RegexOptions.CultureInvariant)]
    private static partial Regex ProcedurePattern();
}
