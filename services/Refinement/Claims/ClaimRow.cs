using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Standardization;

namespace HealthMedallion.Refinement.Claims;

/// <summary>A bronze claim row: raw values for the expectations, standardized values for silver.</summary>
public sealed class ClaimRow : IPatientLinkedRow
{
    public static readonly string[] Columns =
        ["claim_id", "patient_id", "claim_amount", "claim_date", "diagnosis_code", "procedure_code", "claim_status", "source_system"];

    public required string SourceSystem { get; init; }

    public required string FileSourceSystem { get; init; }

    public required long RowNumber { get; init; }

    public required long ContentHash { get; init; }

    public string? RecordError { get; init; }

    public required DateOnly AsOfDate { get; init; }

    public string? BusinessKey => ClaimId;

    public string[] FailedWarnings { get; set; } = [];

    public string? ClaimId { get; init; }

    public string? PatientId { get; init; }

    public string? RawAmount { get; init; }

    public string? RawDate { get; init; }

    public string? DiagnosisCode { get; init; }

    public string? ProcedureCode { get; init; }

    public string? RawStatus { get; init; }

    public decimal? Amount { get; init; }

    public DateOnly? ClaimDate { get; init; }

    /// <summary>submitted, approved, denied or paid; null for anything else.</summary>
    public string? Status { get; init; }

    public string Category => ClaimCategories.Of(ProcedureCode, DiagnosisCode ?? "");

    public static ClaimRow Parse(BronzeRow row, BronzeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(batch);
        var source = row[7] ?? "";
        var conventions = SourceConventions.Of(batch.SourceSystem) ?? SourceConventions.ClaimsSystem;
        return new ClaimRow
        {
            SourceSystem = source,
            FileSourceSystem = batch.SourceSystem,
            RowNumber = row.RowNumber,
            RecordError = row.RecordError,
            ContentHash = row.ContentHash(),
            AsOfDate = batch.AsOfDate,
            ClaimId = row[0]?.Trim(),
            PatientId = row[1]?.Trim(),
            RawAmount = row[2],
            RawDate = row[3],
            DiagnosisCode = row[4]?.Trim().ToUpperInvariant(),
            ProcedureCode = row[5]?.Trim().ToUpperInvariant(),
            RawStatus = row[6],
            Amount = row[2] is { } amount ? Standardize.Amount(amount) : null,
            ClaimDate = row[3] is { } date && conventions.TryParseDate(date.Trim(), out var parsed) ? parsed : null,
            Status = row[6]?.Trim().ToUpperInvariant() switch
            {
                "SUBMITTED" => "submitted",
                "APPROVED" => "approved",
                "DENIED" => "denied",
                "PAID" => "paid",
                _ => null,
            },
        };
    }
}
