namespace HealthMedallion.Refinement.Tests.Identity;

/// <summary>Hand-made source files in each system's own layout and conventions (as the generator writes them).</summary>
internal static class SourceRecords
{
    public const string EhrHeader =
        "patient_id,mrn,first_name,last_name,date_of_birth,gender,address_line1,city,state,zip_code,phone,email,ssn,insurance_id,insurance_plan,coverage_start_date,bmi,smoker,children,charges,source_system,timestamp";

    public const string AdtHeader =
        "patient_id,mrn,last_name,first_name,date_of_birth,gender,address_line1,city,state,zip_code,phone,insurance_id,insurance_plan,source_system,timestamp";

    public const string LabHeader = "patient_id,first_name,last_name,date_of_birth,gender,phone,zip_code,source_system,timestamp";

    public const string AdtEventHeader = "event_id,patient_id,encounter_id,event_type,event_date,care_unit,medical_provider,source_system";

    public const string LabEventHeader = "event_id,patient_id,event_type,event_date,lab_code,lab_value,lab_unit,medical_provider,source_system";

    public static string Csv(string header, params string[] rows) => string.Join("\n", [header, .. rows]) + "\n";

    /// <summary>An EHR registration; <paramref name="birth"/> as yyyy-MM-dd, <paramref name="phone"/> as ten digits.</summary>
    public static string Ehr(string id, string first, string last, string birth, char sex, string address, string zip, string phone, string? mrn = null) =>
        $"{id},{mrn ?? "MRN" + id[1..]},{first},{last},{birth},{(sex == 'M' ? "Male" : "Female")},{address},Anchorage,AK,{zip},"
        + $"({phone[..3]}) {phone[3..6]}-{phone[6..]},{first.ToLowerInvariant()}.{id}@example.com,{900 + (id.GetHashCode() & 63)}-12-{id[^4..]},INS{id[1..]}00,PPO Gold,2020-01-01,27.5,no,1,5000.00,EHR_SYSTEM,2026-01-01T00:00:00Z";

    /// <summary>An ADT registration (family name first, US dates, phone with dashes); empty strings for missing values.</summary>
    public static string Adt(string id, string mrn, string first, string last, string birth, char sex, string address, string zip, string phone) =>
        $"{id},{mrn},{last},{first},{Us(birth)},{sex},{address},Anchorage,AK,{zip},{(phone.Length == 0 ? "" : $"{phone[..3]}-{phone[3..6]}-{phone[6..]}")},INS{id[1..]}00,PPO Gold,ADT_SYSTEM,2026-01-02 08:00:00";

    /// <summary>A lab registration (compact dates, digits-only phone); <paramref name="timestamp"/> as yyyyMMddHHmmss.</summary>
    public static string Lab(string id, string first, string last, string birth, char sex, string zip, string phone, string timestamp = "20260103080000") =>
        $"{id},{first},{last},{birth.Replace("-", "", StringComparison.Ordinal)},{(sex == 'M' ? "male" : "female")},{phone},{zip},LAB_SYSTEM,{timestamp}";

    private static string Us(string birth) => birth.Length == 0 ? "" : $"{birth[5..7]}/{birth[8..10]}/{birth[..4]}";
}
