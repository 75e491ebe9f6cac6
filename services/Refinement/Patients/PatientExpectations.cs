using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.Standardization;
using static HealthMedallion.Refinement.Expectations.ExpectationSeverity;

namespace HealthMedallion.Refinement.Patients;

/// <summary>
/// What a patient row must satisfy. Only a row that cannot be a real patient (no valid id, a test patient) is
/// dropped: a real patient with a bad field stays, with that field left empty in silver and the row flagged, because
/// dropping the patient would orphan every valid claim and event of theirs.
/// </summary>
public static class PatientExpectations
{
    public const int MaxPlausibleAge = 120;
    public const decimal MinBmi = 16m;
    public const decimal MaxBmi = 50m;

    private static readonly HashSet<string> TestNames = new(StringComparer.OrdinalIgnoreCase) { "TEST", "ZZTEST", "TESTPATIENT", "PATIENT", "DO NOT USE" };

    public static ExpectationSet<PatientRow> Set { get; } = new(Entities.Patients,
    [
        RecordExpectations.ValidSourceSystem<PatientRow>(SourceConventions.Ehr, SourceConventions.Adt, SourceConventions.Lab),
        RecordExpectations.WellFormed<PatientRow>(),
        new("valid_patient_id", Drop,
            "patient_id is present and has its source's form: EHR P, ADT A, LAB L, then eight digits",
            r => SourceConventions.IsPatientIdOf(r.SourceSystem, r.PatientId)),
        new("not_test_patient", Drop,
            "first_name and last_name are not a test registration (TEST, ZZTEST, TESTPATIENT, PATIENT, DO NOT USE)",
            r => !IsTestName(r.RawFirstName) && !IsTestName(r.RawLastName)),
        new("required_fields_present", Warn,
            "first_name, last_name, date_of_birth and gender are present",
            r => r.RawFirstName is not null && r.RawLastName is not null && r.RawBirthDate is not null && r.RawGender is not null),
        new("valid_birth_date", Warn,
            "date_of_birth, when present, is a real date in the source's own format (EHR yyyy-MM-dd, ADT MM/dd/yyyy, LAB yyyyMMdd)",
            r => r.RawBirthDate is null || r.BirthDate is not null),
        new("birth_date_not_in_future", Warn,
            "date_of_birth is not after the day the batch was ingested",
            r => !r.BirthDateInFuture),
        new("valid_age", Warn,
            $"age at ingestion is between 0 and {MaxPlausibleAge} (the seeds allow 150, which lets birth years like 1880 through; nobody verified has lived past 122)",
            r => r.AgeAtIngestion is null || r.BirthDateInFuture || r.AgeAtIngestion <= MaxPlausibleAge),
        new("valid_sex", Warn,
            "gender, when present, is male, female or unknown in one of the sources' spellings (Male, M, male, ...)",
            r => r.RawGender is null || r.Sex is not null),
        new("valid_bmi", Warn,
            $"bmi, when sent, is a number from {MinBmi} to {MaxBmi}",
            r => r.RawBmi is null || r.Bmi is >= MinBmi and <= MaxBmi),
        new("valid_state", Warn,
            "state, when sent, is the code of one of the 50 states or DC",
            r => r.RawState is null || r.State is not null),
        new("valid_zip", Warn,
            "zip_code, when sent, is a five-digit ZIP (or ZIP+4)",
            r => r.RawZip is null || r.Zip is not null),
        new("valid_ssn", Warn,
            "ssn, when sent, has nine digits",
            r => r.RawSsn is null || r.SsnHash is not null),
        new("valid_phone", Warn,
            "phone, when sent, is a ten-digit North American number",
            r => r.RawPhone is null || r.Phone is not null),
        new("valid_email", Warn,
            "email, when sent, looks like local@domain.tld",
            r => r.RawEmail is null || r.Email is not null),
    ]);

    private static bool IsTestName(string? name) => name is not null && TestNames.Contains(name.Trim());
}
