using HealthMedallion.Refinement.Identity.Blocking;
using HealthMedallion.Refinement.Identity.Comparison;

namespace HealthMedallion.Refinement.Identity.Records;

/// <summary>The source systems that register patients, in the order of trust used for the resolved patient's id.</summary>
public static class PatientSources
{
    public const string Ehr = "EHR_SYSTEM";
    public const string Adt = "ADT_SYSTEM";
    public const string Lab = "LAB_SYSTEM";

    /// <summary>0 for the EHR (the system of record), 1 ADT, 2 LAB, 3 anything else.</summary>
    public static int Rank(string sourceSystem) => sourceSystem switch
    {
        Ehr => 0,
        Adt => 1,
        Lab => 2,
        _ => 3,
    };
}

/// <summary>
/// One source patient record as identity resolution sees it: its identifiers and demographics in the forms they are
/// compared in, and where it stands now (its resolved patient, if any). Built from <c>pii.patient_records</c> and
/// <c>silver.patient_records</c>; lives only in memory during a resolution.
/// </summary>
public sealed class IdentityRecord
{
    public required string SourceSystem { get; init; }

    public required string SourcePatientId { get; init; }

    /// <summary><see cref="PatientSources.Rank"/> of the source.</summary>
    public int Source { get; init; }

    public string? Mrn { get; init; }

    public string? SsnHash { get; init; }

    /// <summary>Given name, letters only.</summary>
    public string? FirstName { get; init; }

    /// <summary>Family name without a generational suffix, letters only.</summary>
    public string? LastName { get; init; }

    /// <summary>JR, SR, II, III or IV, when the family name carried one.</summary>
    public string? Suffix { get; init; }

    public DateOnly? BirthDate { get; init; }

    /// <summary>M or F; null when unknown.</summary>
    public char? Sex { get; init; }

    /// <summary>Five digits.</summary>
    public string? Zip { get; init; }

    /// <summary>E.164.</summary>
    public string? Phone { get; init; }

    public string? Email { get; init; }

    /// <summary>Street line, letters and digits only, upper case.</summary>
    public string? Address { get; init; }

    public string? FirstPhonetic { get; init; }

    public string? LastPhonetic { get; init; }

    /// <summary>Resolved again by this resolution (the batch inserted or changed it, or the whole population is re-clustered).</summary>
    public bool Touched { get; set; }

    /// <summary>The resolved patient it has now, null for a record seen for the first time.</summary>
    public string? PatientId { get; init; }

    public string? MatchRule { get; init; }

    /// <summary>
    /// Whether the name keys stored with the record in <c>pii.patient_records</c> are the ones computed here (refinement
    /// stores them with every record; only records written before it did lack them).
    /// </summary>
    public bool StoredKeysCurrent { get; private set; }

    public decimal? MatchProbability { get; init; }

    /// <summary>The record its patient was joined through, as the map has it.</summary>
    public string? LinkedTo { get; init; }

    /// <summary>The field levels of that link, as the map has them.</summary>
    public string? MatchLevels { get; init; }

    public static IdentityRecord Create(
        string sourceSystem, string sourcePatientId, string? mrn, string? ssnHash, string? firstName, string? lastName, DateOnly? birthDate,
        string? sex, string? zip, string? phone, string? email, string? address, bool touched, string? patientId, string? matchRule, decimal? matchProbability,
        StoredNameKeys? storedKeys = null, string? linkedTo = null, string? matchLevels = null)
    {
        var first = NameForms.Letters(firstName);
        var (last, suffix) = NameForms.FamilyAndSuffix(lastName);
        var record = new IdentityRecord
        {
            SourceSystem = sourceSystem,
            SourcePatientId = sourcePatientId,
            Source = PatientSources.Rank(sourceSystem),
            Mrn = mrn,
            SsnHash = ssnHash,
            FirstName = first,
            LastName = last,
            Suffix = suffix,
            BirthDate = birthDate,
            Sex = sex is "M" ? 'M' : sex is "F" ? 'F' : null,
            Zip = ZipForm(zip),
            Phone = phone,
            Email = email,
            Address = AddressForm(address),
            FirstPhonetic = NameForms.Phonetic(first),
            LastPhonetic = NameForms.Phonetic(last),
            Touched = touched,
            PatientId = patientId,
            MatchRule = matchRule,
            MatchProbability = matchProbability,
            LinkedTo = linkedTo,
            MatchLevels = matchLevels,
        };
        record.StoredKeysCurrent = storedKeys == new StoredNameKeys(record.FirstPhonetic, record.LastPhonetic, BlockingKeys.ZipNameKey(record));
        return record;
    }

    /// <summary>The five-digit ZIP compared and blocked on; null when shorter.</summary>
    public static string? ZipForm(string? zip) => zip is { Length: >= 5 } ? zip[..5] : null;

    private static string? AddressForm(string? address)
    {
        if (address is null)
        {
            return null;
        }

        Span<char> kept = address.Length <= 256 ? stackalloc char[address.Length] : new char[address.Length];
        var length = 0;
        foreach (var c in address)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                kept[length++] = char.ToUpperInvariant(c);
            }
        }

        return length == 0 ? null : new string(kept[..length]);
    }

    public override string ToString() => $"{SourceSystem}:{SourcePatientId}";
}
