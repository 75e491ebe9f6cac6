using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.Standardization;
using static HealthMedallion.Refinement.Expectations.ExpectationSeverity;

namespace HealthMedallion.Refinement.MedicalEvents;

/// <summary>What a medical event row must satisfy.</summary>
public static class MedicalEventExpectations
{
    public static ExpectationSet<MedicalEventRow> Set { get; } = new(Entities.MedicalEvents,
    [
        RecordExpectations.ValidSourceSystem<MedicalEventRow>(SourceConventions.Adt, SourceConventions.Lab, SourceConventions.Ehr),
        RecordExpectations.WellFormed<MedicalEventRow>(),
        new("valid_event_id", Drop,
            "event_id is present",
            r => r.EventId is not null),
        new("required_fields_present", Drop,
            "patient_id, event_type and event_date are present",
            r => r.PatientId is not null && r.RawType is not null && r.RawDate is not null),
        new("valid_patient_id", Drop,
            "patient_id, when present, has its source's form (ADT A, LAB L, EHR P, then eight digits)",
            r => r.PatientId is null || SourceConventions.IsPatientIdOf(r.SourceSystem, r.PatientId)),
        new("valid_event_date", Drop,
            "event_date, when present, is a real time in the source's own format (ADT yyyy-MM-dd HH:mm:ss, LAB yyyyMMddHHmmss, EHR ISO 8601 UTC)",
            r => r.RawDate is null || r.EventDate is not null),
        new("event_date_not_in_future", Drop,
            "event_date is not after the time the batch was ingested",
            r => r.EventDate is not { } date || date <= r.AsOfUtc),
        new("valid_event_type", Drop,
            "event_type, when present, is admission, discharge, transfer, lab_result, vital_signs or clinical_note (any case)",
            r => r.RawType is null || r.EventType is not null),
        new("provider_present", Warn,
            "medical_provider is present, except on a lab result",
            r => r.Provider is not null || r.EventType == MedicalEventRow.LabResult),
        new("valid_lab_value", Warn,
            "lab_value, when sent, is a number",
            r => r.RawLabValue is null || r.LabValue is not null),
    ]);
}
