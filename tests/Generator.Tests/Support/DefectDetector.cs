using System.Globalization;
using System.Text.RegularExpressions;

namespace HealthMedallion.Generator.Tests.Support;

/// <summary>One finding: a row of a file that breaks a rule, named as the ground truth names it.</summary>
public sealed record Finding(string File, long Row, string Label, string Detail);

/// <summary>
/// Finds every defect in landed files from the files alone, with the rules a downstream quality check would use,
/// so that the generator's labels can be compared with what is really in the files (both ways).
/// </summary>
public static partial class DefectDetector
{
    private static readonly Dictionary<(string Entity, string Source), string[]> Required = new()
    {
        [("patients", "EHR_SYSTEM")] = ["patient_id", "first_name", "last_name", "date_of_birth", "gender"],
        [("patients", "ADT_SYSTEM")] = ["patient_id", "first_name", "last_name", "date_of_birth", "gender"],
        [("patients", "LAB_SYSTEM")] = ["patient_id", "first_name", "last_name", "date_of_birth", "gender"],
        [("claims", "CLAIMS_SYSTEM")] = ["claim_id", "patient_id", "claim_date", "claim_amount", "diagnosis_code"],
        [("medical_events", "ADT_SYSTEM")] = ["event_id", "patient_id", "event_type", "event_date"],
        [("medical_events", "LAB_SYSTEM")] = ["event_id", "patient_id", "event_type", "event_date"],
        [("medical_events", "EHR_SYSTEM")] = ["event_id", "patient_id", "event_type", "event_date"],
    };

    // Each source's date conventions: (column, format, is the checked business date).
    private static readonly Dictionary<(string Entity, string Source), (string Column, string Format, bool Business)[]> Dates = new()
    {
        [("patients", "EHR_SYSTEM")] = [("date_of_birth", "yyyy-MM-dd", true), ("coverage_start_date", "yyyy-MM-dd", false), ("timestamp", "yyyy-MM-ddTHH:mm:ssZ", false)],
        [("patients", "ADT_SYSTEM")] = [("date_of_birth", "MM/dd/yyyy", true), ("timestamp", "yyyy-MM-dd HH:mm:ss", false)],
        [("patients", "LAB_SYSTEM")] = [("date_of_birth", "yyyyMMdd", true), ("timestamp", "yyyyMMddHHmmss", false)],
        [("claims", "CLAIMS_SYSTEM")] = [("claim_date", "dd-MMM-yyyy", true)],
        [("medical_events", "ADT_SYSTEM")] = [("event_date", "yyyy-MM-dd HH:mm:ss", true)],
        [("medical_events", "LAB_SYSTEM")] = [("event_date", "yyyyMMddHHmmss", true)],
        [("medical_events", "EHR_SYSTEM")] = [("event_date", "yyyy-MM-ddTHH:mm:ssZ", true)],
    };

    private static readonly Dictionary<string, string[]> EventTypes = new()
    {
        ["ADT_SYSTEM"] = ["ADMISSION", "DISCHARGE", "TRANSFER"],
        ["LAB_SYSTEM"] = ["LAB_RESULT", "VITAL_SIGNS"],
        ["EHR_SYSTEM"] = ["clinical_note"],
    };

    private static readonly string[] ClaimStatuses = ["PAID", "APPROVED", "DENIED", "SUBMITTED"];

    [GeneratedRegex(@"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")]
    private static partial Regex Icd10();

    /// <summary>
    /// Row-level findings of all files, except rows in <paramref name="skip"/> (truncated lines, which no rule can
    /// read). Keys repeated with different content give <c>superseded</c> + <c>corrected_resend</c>.
    /// </summary>
    public static List<Finding> Detect(IReadOnlyList<LandedFile> files, DateTimeOffset asOf, ISet<(string File, long Row)> skip)
    {
        var now = asOf.UtcDateTime;
        var patientIds = files.Where(f => f.Entity == "patients")
            .GroupBy(f => f.SourceSystem)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => f.Rows.Select(r => r[0])).ToHashSet(StringComparer.Ordinal));
        var findings = new List<Finding>();
        foreach (var stream in files.GroupBy(f => (f.Entity, f.SourceSystem)))
        {
            var seen = new Dictionary<string, (string Raw, string File, long Row)>(StringComparer.Ordinal);
            foreach (var file in stream.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                for (var i = 0; i < file.Rows.Count; i++)
                {
                    var row = i + 1;
                    if (skip.Contains((file.Name, row)))
                    {
                        continue;
                    }

                    void Add(string label, string detail = "") => findings.Add(new Finding(file.Name, row, label, detail));
                    string F(string column) => file.Field(i, column) ?? "";

                    foreach (var column in Required[stream.Key])
                    {
                        if (F(column).Length == 0)
                        {
                            Add("missing_required_field", column);
                        }
                    }

                    foreach (var (column, format, business) in Dates[stream.Key])
                    {
                        var text = F(column);
                        if (text.Length == 0)
                        {
                            continue;
                        }

                        if (!DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value))
                        {
                            Add("unparseable_date", column);
                        }
                        else if (value > now)
                        {
                            Add("future_date", column);
                        }
                        else if (column == "date_of_birth" && value.Year < 1900)
                        {
                            Add("out_of_range_age", column);
                        }
                        else if (!business && value < now.AddYears(-100))
                        {
                            Add("implausible_date", column);
                        }
                    }

                    var key = file.Rows[i][0];
                    var raw = file.RawRows[i];
                    switch (stream.Key.Entity)
                    {
                        case "patients":
                            if (F("bmi") is { Length: > 0 } bmi && double.Parse(bmi, CultureInfo.InvariantCulture) is < 10 or > 80)
                            {
                                Add("out_of_range_bmi", "bmi");
                            }

                            if (F("first_name").Contains("TEST", StringComparison.OrdinalIgnoreCase))
                            {
                                Add("test_patient");
                            }

                            break;
                        case "claims":
                            if (F("claim_amount") is { Length: > 0 } amount && double.Parse(amount, CultureInfo.InvariantCulture) is <= 0 or > 1_000_000)
                            {
                                Add("invalid_claim_amount", "claim_amount");
                            }

                            if (F("diagnosis_code") is { Length: > 0 } code && !Icd10().IsMatch(code))
                            {
                                Add("malformed_icd10", "diagnosis_code");
                            }

                            if (!ClaimStatuses.Contains(F("claim_status")))
                            {
                                Add("unknown_claim_status", "claim_status");
                            }

                            break;
                        case "medical_events":
                            if (F("event_type") is { Length: > 0 } type && !EventTypes[stream.Key.SourceSystem].Contains(type))
                            {
                                Add("unknown_event_type", "event_type");
                            }

                            break;
                    }

                    if (stream.Key.Entity != "patients" && F("patient_id") is { Length: > 0 } patient)
                    {
                        var source = stream.Key.SourceSystem == "CLAIMS_SYSTEM" ? "EHR_SYSTEM" : stream.Key.SourceSystem;
                        if (!patientIds[source].Contains(patient))
                        {
                            Add("orphan_reference");
                        }
                    }

                    if (seen.TryGetValue(key, out var earlier))
                    {
                        if (earlier.Raw == raw)
                        {
                            Add("exact_duplicate");
                        }
                        else
                        {
                            findings.Add(new Finding(earlier.File, earlier.Row, "superseded", ""));
                            Add("corrected_resend");
                        }
                    }

                    seen[key] = (raw, file.Name, row);
                }
            }
        }

        return findings;
    }
}
