using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Standardization;

namespace HealthMedallion.Refinement.MedicalEvents;

/// <summary>A bronze medical event row (ADT encounter event, lab result or vital sign, clinical note).</summary>
public sealed class MedicalEventRow : IPatientLinkedRow
{
    public static readonly string[] Columns =
    [
        "event_id", "patient_id", "event_date", "event_type", "medical_provider", "source_system", "encounter_id", "care_unit",
        "lab_code", "lab_value", "lab_unit",
    ];

    public const string Admission = "admission";
    public const string Discharge = "discharge";
    public const string Transfer = "transfer";
    public const string LabResult = "lab_result";
    public const string VitalSigns = "vital_signs";
    public const string ClinicalNote = "clinical_note";

    public required string SourceSystem { get; init; }

    public required string FileSourceSystem { get; init; }

    public required long RowNumber { get; init; }

    public required long ContentHash { get; init; }

    public string? RecordError { get; init; }

    public required DateTime AsOfUtc { get; init; }

    public string? BusinessKey => EventId;

    public string[] FailedWarnings { get; set; } = [];

    public string? EventId { get; init; }

    public string? PatientId { get; init; }

    public string? RawDate { get; init; }

    public string? RawType { get; init; }

    public string? RawLabValue { get; init; }

    public DateTime? EventDate { get; init; }

    /// <summary>One of the six standard types (lower case); null for anything else.</summary>
    public string? EventType { get; init; }

    public string? Provider { get; init; }

    public string? EncounterId { get; init; }

    public string? CareUnit { get; init; }

    public string? LabCode { get; init; }

    public decimal? LabValue { get; init; }

    public string? LabUnit { get; init; }

    /// <summary>What kind of care the event documents: the grouping the marts report by.</summary>
    public string Category => EventType switch
    {
        Admission or Discharge or Transfer => "INPATIENT_ENCOUNTER",
        LabResult => "DIAGNOSTIC_RESULT",
        VitalSigns => "VITAL_SIGNS",
        _ => "CLINICAL_DOCUMENTATION",
    };

    public static MedicalEventRow Parse(BronzeRow row, BronzeBatch batch)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(batch);
        var source = row[5] ?? "";
        var conventions = SourceConventions.Of(batch.SourceSystem) ?? SourceConventions.Of(source);
        return new MedicalEventRow
        {
            SourceSystem = source,
            FileSourceSystem = batch.SourceSystem,
            RowNumber = row.RowNumber,
            RecordError = row.RecordError,
            ContentHash = row.ContentHash(),
            AsOfUtc = batch.IngestedAtUtc,
            EventId = row[0]?.Trim(),
            PatientId = row[1]?.Trim(),
            RawDate = row[2],
            RawType = row[3],
            RawLabValue = row[9],
            EventDate = row[2] is { } date && conventions is not null && conventions.TryParseDateTime(date.Trim(), out var parsed) ? parsed : null,
            EventType = row[3]?.Trim().ToLowerInvariant() switch
            {
                Admission => Admission,
                Discharge => Discharge,
                Transfer => Transfer,
                LabResult => LabResult,
                VitalSigns => VitalSigns,
                ClinicalNote => ClinicalNote,
                _ => null,
            },
            Provider = row[4]?.Trim(),
            EncounterId = row[6]?.Trim(),
            CareUnit = row[7]?.Trim().ToUpperInvariant(),
            LabCode = row[8]?.Trim(),
            LabValue = row[9] is { } value ? Standardize.Amount(value) : null,
            LabUnit = row[10]?.Trim(),
        };
    }
}
