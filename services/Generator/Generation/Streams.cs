using System.Text;
using HealthMedallion.Contracts;

namespace HealthMedallion.Generator.Generation;

/// <summary>The seven streams of rows a run writes: each one entity from one source system, in that source's own shape.</summary>
internal enum StreamId : byte
{
    PatientsEhr,
    PatientsAdt,
    PatientsLab,
    Claims,
    EventsAdt,
    EventsLab,
    EventsEhr,
}

internal sealed record StreamSpec(StreamId Id, string Entity, string SourceSystem, string[] Columns, byte[] Newline, string ExtraColumn, string ExtraValue)
{
    public static readonly byte[] Lf = "\n"u8.ToArray();

    // The lab system runs on Windows and ends its lines with CRLF.
    public static readonly byte[] CrLf = "\r\n"u8.ToArray();

    public static readonly StreamSpec[] All =
    [
        new(StreamId.PatientsEhr, Entities.Patients, SourceSystems.Ehr,
            ["patient_id", "mrn", "first_name", "last_name", "date_of_birth", "gender", "address_line1", "city", "state", "zip_code", "phone", "email", "ssn",
             "insurance_id", "insurance_plan", "coverage_start_date", "bmi", "smoker", "children", "charges", "source_system", "timestamp"], Lf, "preferred_language", "en"),
        new(StreamId.PatientsAdt, Entities.Patients, SourceSystems.Adt,
            ["patient_id", "mrn", "last_name", "first_name", "date_of_birth", "gender", "address_line1", "city", "state", "zip_code", "phone", "insurance_id",
             "insurance_plan", "source_system", "timestamp"], Lf, "attending_unit", "ED"),
        new(StreamId.PatientsLab, Entities.Patients, SourceSystems.Lab,
            ["patient_id", "first_name", "last_name", "date_of_birth", "gender", "phone", "zip_code", "source_system", "timestamp"], CrLf, "specimen_site", "LAB-01"),
        new(StreamId.Claims, Entities.Claims, SourceSystems.Claims,
            ["claim_id", "patient_id", "claim_date", "claim_amount", "diagnosis_code", "procedure_code", "claim_status", "source_system"], Lf, "payer_ref", "PYR-7781"),
        new(StreamId.EventsAdt, Entities.MedicalEvents, SourceSystems.Adt,
            ["event_id", "patient_id", "encounter_id", "event_type", "event_date", "care_unit", "medical_provider", "source_system"], Lf, "bed_id", "B-12"),
        new(StreamId.EventsLab, Entities.MedicalEvents, SourceSystems.Lab,
            ["event_id", "patient_id", "event_type", "event_date", "lab_code", "lab_value", "lab_unit", "medical_provider", "source_system"], CrLf, "device_id", "ANZ-3"),
        new(StreamId.EventsEhr, Entities.MedicalEvents, SourceSystems.Ehr,
            ["event_id", "patient_id", "event_type", "event_date", "medical_provider", "source_system"], Lf, "note_status", "signed"),
    ];

    public byte[] Header(bool extraColumn) =>
        Encoding.UTF8.GetBytes(string.Join(',', extraColumn ? [.. Columns, ExtraColumn] : Columns)).Concat(Newline).ToArray();

    public byte[] EntityUtf8 { get; } = Encoding.UTF8.GetBytes(Entity);

    public byte[] SourceSystemUtf8 { get; } = Encoding.UTF8.GetBytes(SourceSystem);

    public byte[] ExtraField => Encoding.UTF8.GetBytes("," + ExtraValue);
}
