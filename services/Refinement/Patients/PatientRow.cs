using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Deidentification;
using HealthMedallion.Refinement.Identity.Blocking;
using HealthMedallion.Refinement.Standardization;

namespace HealthMedallion.Refinement.Patients;

/// <summary>
/// A bronze patient row read with its source system's conventions: the raw values the expectations look at,
/// the standardized values, what goes to silver (de-identified) and what only to <c>pii</c>.
/// </summary>
public sealed record PatientRow : IVersionedRow
{
    public static readonly string[] Columns =
    [
        "patient_id", "mrn", "first_name", "last_name", "date_of_birth", "gender", "address_line1", "city", "state", "zip_code", "phone",
        "email", "ssn", "insurance_id", "insurance_plan", "coverage_start_date", "bmi", "smoker", "children", "charges", "source_system", "timestamp",
    ];

    /// <summary>The fields each source sends, over which <see cref="DataQualityScore"/> measures completeness and validity.</summary>
    private static readonly Dictionary<string, int> ScoredFields = new(StringComparer.Ordinal)
    {
        [SourceConventions.Ehr] = 17, // names, birth date, sex, address, city, state, ZIP, phone, e-mail, SSN, plan, coverage start, BMI, smoker, children, charges
        [SourceConventions.Adt] = 10, // names, birth date, sex, address, city, state, ZIP, phone, plan
        [SourceConventions.Lab] = 6,  // names, birth date, sex, phone, ZIP
    };

    public required string SourceSystem { get; init; }

    public required string FileSourceSystem { get; init; }

    public required long RowNumber { get; init; }

    public required long ContentHash { get; init; }

    public string? RecordError { get; init; }

    public string? BusinessKey => PatientId;

    public string[] FailedWarnings { get; set; } = [];

    // What the source sent (blank is null).
    public string? PatientId { get; init; }

    public string? RawFirstName { get; init; }

    public string? RawLastName { get; init; }

    public string? RawBirthDate { get; init; }

    public string? RawGender { get; init; }

    public string? RawBmi { get; init; }

    public string? RawZip { get; init; }

    public string? RawState { get; init; }

    public string? RawSsn { get; init; }

    public string? RawPhone { get; init; }

    public string? RawEmail { get; init; }

    // Standardized; null where the value was missing or unreadable.
    public DateOnly? BirthDate { get; init; }

    /// <summary>Completed years at the batch's ingestion date, before Safe Harbor's cap.</summary>
    public int? AgeAtIngestion { get; init; }

    public bool BirthDateInFuture { get; init; }

    public char? Sex { get; init; }

    public decimal? Bmi { get; init; }

    public string? State { get; init; }

    public string? Zip { get; init; }

    public string? SsnHash { get; init; }

    public string? Mrn { get; init; }

    public string? FirstName { get; init; }

    public string? LastName { get; init; }

    public string? Address { get; init; }

    public string? City { get; init; }

    public string? Phone { get; init; }

    public string? Email { get; init; }

    public string? InsurancePlan { get; init; }

    public DateOnly? CoverageStart { get; init; }

    public bool? Smoker { get; init; }

    public int? Children { get; init; }

    public decimal? Charges { get; init; }

    public DateTime? SourceUpdatedAt { get; init; }

    /// <summary>The keys identity resolution finds the record's candidates by, stored with its identifiers.</summary>
    public StoredNameKeys NameKeys { get; init; }

    /// <summary>Fields the source sends that are present and valid, out of all it sends (0..1, three decimals).</summary>
    public decimal DataQualityScore { get; init; }

    // What silver keeps: Safe Harbor's forms, and only values whose expectations held.
    public int? AgeYears => AgeAtIngestion is >= 0 and <= PatientExpectations.MaxPlausibleAge && !BirthDateInFuture ? SafeHarbor.Age(AgeAtIngestion.Value) : null;

    public decimal? SilverBmi => Bmi is >= PatientExpectations.MinBmi and <= PatientExpectations.MaxBmi ? Bmi : null;

    public string? Zip3 => Zip is null ? null : SafeHarbor.Zip3(Zip);

    public string? Region => State is null ? null : Regions.OfState(State);

    /// <summary>Date of birth for the pii schema: only a real one (not in the future, plausible age).</summary>
    public DateOnly? PiiBirthDate => AgeYears is null ? null : BirthDate;

    public static PatientRow Parse(BronzeRow row, BronzeBatch batch, SsnHasher ssnHasher)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(ssnHasher);

        var source = row[20] ?? "";
        var conventions = SourceConventions.Of(batch.SourceSystem) ?? SourceConventions.Of(source);
        DateOnly? birth = null, coverage = null;
        DateTime? updated = null;
        if (conventions is not null)
        {
            birth = row[4] is { } b && conventions.TryParseDate(b, out var d) ? d : null;
            coverage = row[15] is { } c && conventions.TryParseDate(c, out var cd) ? cd : null;
            updated = row[21] is { } t && conventions.TryParseDateTime(t, out var u) ? u : null;
        }

        var age = birth is { } born ? Standardize.Age(born, batch.AsOfDate) : (int?)null;
        var parsed = new PatientRow
        {
            SourceSystem = source,
            FileSourceSystem = batch.SourceSystem,
            RowNumber = row.RowNumber,
            RecordError = row.RecordError,
            ContentHash = row.ContentHash(),
            PatientId = row[0]?.Trim(),
            RawFirstName = row[2],
            RawLastName = row[3],
            RawBirthDate = row[4],
            RawGender = row[5],
            RawBmi = row[16],
            RawZip = row[9],
            RawState = row[8],
            RawSsn = row[12],
            RawPhone = row[10],
            RawEmail = row[11],
            BirthDate = birth,
            AgeAtIngestion = age,
            BirthDateInFuture = birth is { } future && future > batch.AsOfDate,
            Sex = row[5] is { } g ? Standardize.Sex(g) : null,
            Bmi = row[16] is { } bmi ? Standardize.Amount(bmi) : null,
            State = row[8] is { } state ? Standardize.State(state) : null,
            Zip = row[9] is { } zip ? Standardize.Zip(zip) : null,
            SsnHash = row[12] is { } ssn ? ssnHasher.Hash(ssn) : null,
            Mrn = row[1]?.Trim(),
            FirstName = row[2] is { } first ? Standardize.Name(first) : null,
            LastName = row[3] is { } last ? Standardize.Name(last) : null,
            Address = row[6] is { } address ? Standardize.Name(address) : null,
            City = row[7] is { } city ? Standardize.Name(city) : null,
            Phone = row[10] is { } phone ? Standardize.Phone(phone) : null,
            Email = row[11] is { } email ? Standardize.Email(email) : null,
            InsurancePlan = row[14]?.Trim(),
            CoverageStart = coverage,
            Smoker = row[17] is { } smoker ? Standardize.Boolean(smoker) : null,
            Children = row[18] is { } children ? Standardize.Integer(children) : null,
            Charges = row[19] is { } charges ? Standardize.Amount(charges) : null,
            SourceUpdatedAt = updated,
        };
        return parsed with { DataQualityScore = parsed.ScoreFields(), NameKeys = BlockingKeys.NameKeysOf(parsed.FirstName, parsed.LastName, parsed.Zip) };
    }

    private decimal ScoreFields()
    {
        if (!ScoredFields.TryGetValue(SourceSystem, out var expected))
        {
            return 0m;
        }

        var valid = Count(FirstName) + Count(LastName) + Count(AgeYears) + (Sex is 'M' or 'F' ? 1 : 0) + Count(Phone) + Count(Zip);
        if (SourceSystem != SourceConventions.Lab)
        {
            valid += Count(Address) + Count(City) + Count(State) + Count(InsurancePlan);
        }

        if (SourceSystem == SourceConventions.Ehr)
        {
            valid += Count(Email) + Count(SsnHash) + Count(CoverageStart) + Count(SilverBmi) + Count(Smoker) + Count(Children) + Count(Charges);
        }

        return Math.Round((decimal)valid / expected, 3);
    }

    private static int Count<T>(T? value) => value is null ? 0 : 1;
}
