using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Claims;
using HealthMedallion.Refinement.Deidentification;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.MedicalEvents;
using HealthMedallion.Refinement.Patients;
using HealthMedallion.Refinement.Standardization;
using Microsoft.Extensions.Options;
using static HealthMedallion.Refinement.Expectations.ExpectationSeverity;

namespace HealthMedallion.Refinement.Tests;

/// <summary>The declared expectations, and rows parsed by the real parse functions judged by them: no database, no bus.</summary>
public sealed class ExpectationTests
{
    /// <summary>When the hand-made batches were ingested: "today" for ages and dates in the future.</summary>
    private static readonly DateTime IngestedAt = new(2025, 6, 15, 12, 0, 0, DateTimeKind.Utc);

    private static readonly SsnHasher Hasher = new(Options.Create(new RefinementOptions { SsnHashKey = "test-key-0123456789abcdef0123456789abcdef" }));

    // ---- ExpectationSet ----

    [Fact]
    public void ExpectationSet_TwoExpectationsWithTheSameName_Throws()
    {
        // Arrange
        Expectation<int>[] expectations =
        [
            new("positive", Warn, "the number is positive", n => n > 0),
            new("even", Drop, "the number is even", n => n % 2 == 0),
            new("positive", Drop, "the number is positive, again", n => n > 0),
        ];

        // Act
        var error = Assert.Throws<ArgumentException>(() => new ExpectationSet<int>("numbers", expectations));

        // Assert
        Assert.Contains("'positive'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_CountsPassedAndFailedPerExpectation_AndGivesDropWarnAndFailVerdicts()
    {
        // Arrange
        var set = new ExpectationSet<int>("numbers",
        [
            new("positive", Warn, "the number is positive", n => n > 0),
            new("even", Drop, "the number is even", n => n % 2 == 0),
            new("small", Fail, "the number is below 100", n => n < 100),
            new("not_seven", Drop, "the number is not 7", n => n != 7),
        ]);
        var tally = set.NewTally();

        // Act
        var clean = set.Evaluate(2, tally);
        var warned = set.Evaluate(-2, tally);
        var dropped = set.Evaluate(7, tally);
        var warnedAndDropped = set.Evaluate(-3, tally);
        var failed = set.Evaluate(102, tally);

        // Assert
        Assert.Equal((Array.Empty<string>(), Array.Empty<string>(), false), (clean.Dropped, clean.Warned, clean.FailsBatch));
        Assert.False(clean.IsDropped);

        Assert.Equal(["positive"], warned.Warned);
        Assert.Empty(warned.Dropped);
        Assert.False(warned.IsDropped);
        Assert.False(warned.FailsBatch);

        Assert.Equal(["even", "not_seven"], dropped.Dropped);
        Assert.Empty(dropped.Warned);
        Assert.True(dropped.IsDropped);
        Assert.False(dropped.FailsBatch);

        Assert.Equal(["even"], warnedAndDropped.Dropped);
        Assert.Equal(["positive"], warnedAndDropped.Warned);

        Assert.True(failed.FailsBatch);
        Assert.Empty(failed.Dropped);
        Assert.Empty(failed.Warned);

        // Every expectation is evaluated on every row (none short-circuits), in declaration order.
        Assert.Equal([3L, 3L, 4L, 4L], tally.Passed);
        Assert.Equal([2L, 2L, 1L, 1L], tally.Failed);
    }

    [Fact]
    public void ExpectationTally_Add_SumsPerExpectation()
    {
        // Arrange
        var set = new ExpectationSet<int>("numbers", [new("positive", Warn, "d", n => n > 0), new("even", Drop, "d", n => n % 2 == 0)]);
        var one = set.NewTally();
        var other = set.NewTally();
        set.Evaluate(1, one);
        set.Evaluate(-2, other);
        set.Evaluate(4, other);

        // Act
        one.Add(other);

        // Assert
        Assert.Equal([2L, 2L], one.Passed);
        Assert.Equal([1L, 1L], one.Failed);
    }

    // ---- The declared sets ----

    public static TheoryData<string> EntityNames => [.. Entities.All];

    private static List<ExpectationDescription> Declared(string entity) => entity switch
    {
        Entities.Patients => [.. PatientExpectations.Set.Describe()],
        Entities.Claims => [.. ClaimExpectations.Set.Describe()],
        _ => [.. MedicalEventExpectations.Set.Describe()],
    };

    [Theory]
    [MemberData(nameof(EntityNames))]
    public void DeclaredSet_EveryExpectation_HasAUniqueSnakeCaseNameAndADescription(string entity)
    {
        // Act
        var expectations = Declared(entity);

        // Assert
        Assert.NotEmpty(expectations);
        Assert.All(expectations, e =>
        {
            Assert.Equal(entity, e.Entity);
            Assert.Matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", e.Name);
            Assert.False(string.IsNullOrWhiteSpace(e.Description), $"{e.Name} has no description");
        });
        Assert.Equal(expectations.Count, expectations.Select(e => e.Name).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(EntityNames))]
    public void DeclaredSet_HasExactlyOneFailExpectation_ValidSourceSystem_AndWellFormedRecord(string entity)
    {
        // Act
        var expectations = Declared(entity);

        // Assert
        var fail = Assert.Single(expectations, e => e.Severity == Fail);
        Assert.Equal("valid_source_system", fail.Name);
        var wellFormed = Assert.Single(expectations, e => e.Name == RecordExpectations.WellFormedRecord);
        Assert.Equal(Drop, wellFormed.Severity);
    }

    // ---- Claims, through ClaimRow.Parse ----

    private static readonly Dictionary<string, string?> CleanClaim = new()
    {
        ["claim_id"] = "CLM00000001", ["patient_id"] = "P00000001", ["claim_amount"] = "125.50", ["claim_date"] = "01-Jun-2025",
        ["diagnosis_code"] = "E11.9", ["procedure_code"] = "99213", ["claim_status"] = "PAID", ["source_system"] = SourceConventions.Claims,
    };

    private static ClaimRow Claim(Action<Dictionary<string, string?>>? change = null, string fileSource = SourceConventions.Claims, string? recordError = null)
    {
        var values = new Dictionary<string, string?>(CleanClaim);
        change?.Invoke(values);
        return ClaimRow.Parse(Row(ClaimRow.Columns, values, recordError), Batch(Entities.Claims, fileSource));
    }

    [Fact]
    public void CleanClaim_FailsNothing()
    {
        // Act
        var row = Claim();

        // Assert
        Assert.Empty(Failed(ClaimExpectations.Set, row));
        Assert.Equal(125.50m, row.Amount);
        Assert.Equal(new DateOnly(2025, 6, 1), row.ClaimDate);
        Assert.Equal("paid", row.Status);
    }

    [Theory]
    [InlineData("C4A.0")]     // Merkel cell carcinoma of lip: a letter in the third place
    [InlineData("S52.521A")]  // a seventh character
    [InlineData("e11.9")]     // lower case is upper-cased
    [InlineData(" E11.9 ")]
    [InlineData("I10")]
    public void Claim_WellFormedBillableIcd10_PassesTheFormatRule(string code)
    {
        // Act
        var failed = Failed(ClaimExpectations.Set, Claim(v => v["diagnosis_code"] = code));

        // Assert
        Assert.Empty(failed);
    }

    [Theory]
    [InlineData("E11.")]
    [InlineData("119.E")]
    [InlineData("ZZZ")]
    [InlineData("E1")]
    [InlineData("E11.12345")]
    [InlineData("E11-9")]
    public void Claim_MalformedIcd10_FailsTheFormatRuleOnly(string code)
    {
        // Act
        var failed = Failed(ClaimExpectations.Set, Claim(v => v["diagnosis_code"] = code));

        // Assert: a malformed code is not also reported as not billable.
        Assert.Equal(["valid_icd10_format"], failed);
    }

    [Theory]
    [InlineData("E11")]     // a category header, not billable
    [InlineData("E11.1")]   // a subcategory that needs more characters
    [InlineData("S52.521")] // needs its seventh character
    [InlineData("Z99.99")]  // well-formed, but no such code
    public void Claim_WellFormedCodeOutsideTheBillableList_FailsBillableOnly(string code)
    {
        // Act
        var failed = Failed(ClaimExpectations.Set, Claim(v => v["diagnosis_code"] = code));

        // Assert
        Assert.Equal(["billable_icd10"], failed);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.00")]
    [InlineData("-5")]
    [InlineData("1000000")]
    [InlineData("1,000,000.00")]
    [InlineData("2500000")]
    [InlineData("abc")]
    public void Claim_AmountNotAboveZeroAndBelowAMillion_FailsValidClaimAmount(string amount)
    {
        // Act
        var failed = Failed(ClaimExpectations.Set, Claim(v => v["claim_amount"] = amount));

        // Assert
        Assert.Equal(["valid_claim_amount"], failed);
    }

    [Theory]
    [InlineData("999999.99")]
    [InlineData("0.01")]
    [InlineData("$1,250.00")]
    public void Claim_AmountInRange_Passes(string amount) => Assert.Empty(Failed(ClaimExpectations.Set, Claim(v => v["claim_amount"] = amount)));

    [Fact]
    public void Claim_DatedAfterTheIngestionDate_FailsClaimDateNotInFuture()
    {
        // Act
        var tomorrow = Failed(ClaimExpectations.Set, Claim(v => v["claim_date"] = "16-Jun-2025"));
        var today = Failed(ClaimExpectations.Set, Claim(v => v["claim_date"] = "15-Jun-2025"));

        // Assert
        Assert.Equal(["claim_date_not_in_future"], tomorrow);
        Assert.Empty(today);
    }

    [Theory]
    [InlineData("2025-06-01")]  // the EHR's format: not guessed
    [InlineData("06/01/2025")]
    [InlineData("31-Feb-2025")]
    public void Claim_DateNotInTheClaimsFormat_FailsValidClaimDate(string date) =>
        Assert.Equal(["valid_claim_date"], Failed(ClaimExpectations.Set, Claim(v => v["claim_date"] = date)));

    [Fact]
    public void Claim_FromAFileOfAnotherSourceSystem_FailsValidSourceSystem_AndFailsTheBatch()
    {
        // Arrange: a claims-system row in a file ingestion recorded as the EHR's.
        var row = Claim(fileSource: SourceConventions.Ehr);

        // Act
        var failed = Failed(ClaimExpectations.Set, row);
        var verdict = ClaimExpectations.Set.Evaluate(row, ClaimExpectations.Set.NewTally());

        // Assert
        Assert.Contains("valid_source_system", failed);
        Assert.True(verdict.FailsBatch);
    }

    [Fact]
    public void Claim_FromASystemClaimsDoNotTake_FailsValidSourceSystem()
    {
        // Arrange: a file and its rows both from the EHR: consistent, but the EHR sends no claims.
        var row = Claim(v => v["source_system"] = SourceConventions.Ehr, fileSource: SourceConventions.Ehr);

        // Act / Assert
        Assert.Contains("valid_source_system", Failed(ClaimExpectations.Set, row));
    }

    [Fact]
    public void Claim_WithARecordError_FailsWellFormedRecord_ButNotValidSourceSystem()
    {
        // Arrange: a truncated last line: the fields after the amount (source_system among them) are cut off.
        var row = Claim(v =>
        {
            v["claim_date"] = null;
            v["diagnosis_code"] = null;
            v["procedure_code"] = null;
            v["claim_status"] = null;
            v["source_system"] = null;
        }, recordError: "expected 8 fields, found 3");

        // Act
        var failed = Failed(ClaimExpectations.Set, row);
        var verdict = ClaimExpectations.Set.Evaluate(row, ClaimExpectations.Set.NewTally());

        // Assert
        Assert.Contains(RecordExpectations.WellFormedRecord, failed);
        Assert.DoesNotContain("valid_source_system", failed);
        Assert.True(verdict.IsDropped);
        Assert.False(verdict.FailsBatch);
    }

    // ---- Patients, through PatientRow.Parse ----

    private static readonly Dictionary<string, string?> CleanEhrPatient = new()
    {
        ["patient_id"] = "P00000001", ["mrn"] = "MRN00000001", ["first_name"] = "John", ["last_name"] = "Smith", ["date_of_birth"] = "1980-05-20",
        ["gender"] = "Male", ["address_line1"] = "12 Main St", ["city"] = "Boston", ["state"] = "MA", ["zip_code"] = "02108",
        ["phone"] = "(617) 555-0100", ["email"] = "john.smith@example.com", ["ssn"] = "123-45-6789", ["insurance_id"] = "INS0000001",
        ["insurance_plan"] = "PPO Gold", ["coverage_start_date"] = "2020-01-01", ["bmi"] = "24.5", ["smoker"] = "No", ["children"] = "2",
        ["charges"] = "1234.56", ["source_system"] = SourceConventions.Ehr, ["timestamp"] = "2025-06-01T10:00:00Z",
    };

    private static PatientRow Patient(Action<Dictionary<string, string?>>? change = null, string fileSource = SourceConventions.Ehr, string? recordError = null)
    {
        var values = new Dictionary<string, string?>(CleanEhrPatient);
        change?.Invoke(values);
        return PatientRow.Parse(Row(PatientRow.Columns, values, recordError), Batch(Entities.Patients, fileSource), Hasher);
    }

    private static PatientRow AdtPatient(Action<Dictionary<string, string?>>? change = null) => Patient(v =>
    {
        v["patient_id"] = "A00000001";
        v["date_of_birth"] = "05/20/1980";
        v["source_system"] = SourceConventions.Adt;
        v["email"] = v["ssn"] = v["coverage_start_date"] = v["bmi"] = v["smoker"] = v["children"] = v["charges"] = null;
        v["timestamp"] = "2025-06-01 10:00:00";
        change?.Invoke(v);
    }, SourceConventions.Adt);

    private static PatientRow LabPatient(Action<Dictionary<string, string?>>? change = null) => Patient(v =>
    {
        v["patient_id"] = "L00000001";
        v["date_of_birth"] = "19800520";
        v["source_system"] = SourceConventions.Lab;
        v["address_line1"] = v["city"] = v["state"] = v["email"] = v["ssn"] = v["insurance_plan"] = null;
        v["coverage_start_date"] = v["bmi"] = v["smoker"] = v["children"] = v["charges"] = null;
        v["timestamp"] = "20250601100000";
        change?.Invoke(v);
    }, SourceConventions.Lab);

    [Fact]
    public void CleanPatient_OfEachSource_FailsNothing()
    {
        // Act
        var rows = new[] { Patient(), AdtPatient(), LabPatient() };

        // Assert
        Assert.All(rows, row =>
        {
            Assert.Empty(Failed(PatientExpectations.Set, row));
            Assert.Equal(new DateOnly(1980, 5, 20), row.BirthDate);
            Assert.Equal(45, row.AgeYears);
            Assert.Equal(new DateTime(2025, 6, 1, 10, 0, 0, DateTimeKind.Utc), row.SourceUpdatedAt);
        });
    }

    [Fact]
    public void Patient_Born1890_FailsValidAgeOnly_AndHasNoAge()
    {
        // Act
        var row = Patient(v => v["date_of_birth"] = "1890-01-01");

        // Assert
        Assert.Equal(["valid_age"], Failed(PatientExpectations.Set, row));
        Assert.Equal(135, row.AgeAtIngestion);
        Assert.Null(row.AgeYears);
        Assert.Null(row.PiiBirthDate);
    }

    [Theory]
    [InlineData("1930-01-01", 95, 90)]
    [InlineData("1936-06-15", 89, 90)] // 89 on the day of ingestion
    [InlineData("1936-06-16", 88, 88)] // 89 tomorrow
    [InlineData("1905-06-15", 120, 90)]
    public void Patient_AgedUpTo120_PassesValidAge_AndIsCappedAt90From89(string birth, int age, int ageYears)
    {
        // Act
        var row = Patient(v => v["date_of_birth"] = birth);

        // Assert
        Assert.Empty(Failed(PatientExpectations.Set, row));
        Assert.Equal(age, row.AgeAtIngestion);
        Assert.Equal(ageYears, row.AgeYears);
    }

    [Fact]
    public void Patient_BornAfterTheIngestionDate_FailsBirthDateNotInFuture_ButNotValidAge()
    {
        // Act
        var row = Patient(v => v["date_of_birth"] = "2025-06-16");

        // Assert
        Assert.Equal(["birth_date_not_in_future"], Failed(PatientExpectations.Set, row));
        Assert.Null(row.AgeYears);
    }

    [Theory]
    [InlineData("first_name", "TEST")]
    [InlineData("first_name", " test ")]
    [InlineData("last_name", "ZZTEST")]
    [InlineData("last_name", "Do Not Use")]
    public void Patient_WithATestName_FailsNotTestPatient_AndIsDropped(string column, string name)
    {
        // Act
        var row = Patient(v => v[column] = name);
        var verdict = PatientExpectations.Set.Evaluate(row, PatientExpectations.Set.NewTally());

        // Assert
        Assert.Equal(["not_test_patient"], Failed(PatientExpectations.Set, row));
        Assert.Equal(["not_test_patient"], verdict.Dropped);
    }

    [Fact]
    public void Patient_NamedLikeATestButNotOne_Passes() =>
        Assert.Empty(Failed(PatientExpectations.Set, Patient(v => v["first_name"] = "Testa")));

    [Fact]
    public void Patient_FromAFileOfAnotherSourceSystem_FailsValidSourceSystem_AndFailsTheBatch()
    {
        // Arrange: an ADT row in a file ingestion recorded as the EHR's.
        var row = Patient(v =>
        {
            v["patient_id"] = "A00000001";
            v["source_system"] = SourceConventions.Adt;
        });

        // Act
        var failed = Failed(PatientExpectations.Set, row);
        var verdict = PatientExpectations.Set.Evaluate(row, PatientExpectations.Set.NewTally());

        // Assert
        Assert.Contains("valid_source_system", failed);
        Assert.True(verdict.FailsBatch);
    }

    [Fact]
    public void Patient_WithARecordError_FailsWellFormedRecord_ButNotValidSourceSystem()
    {
        // Arrange: a truncated last line, cut off in the e-mail.
        var row = Patient(v =>
        {
            foreach (var column in PatientRow.Columns.SkipWhile(c => c != "email").Skip(1))
            {
                v[column] = null;
            }

            v["email"] = "john.sm";
        }, recordError: "expected 22 fields, found 12");

        // Act
        var failed = Failed(PatientExpectations.Set, row);

        // Assert
        Assert.Contains(RecordExpectations.WellFormedRecord, failed);
        Assert.DoesNotContain("valid_source_system", failed);
        Assert.False(PatientExpectations.Set.Evaluate(row, PatientExpectations.Set.NewTally()).FailsBatch);
    }

    [Fact]
    public void AdtPatient_ImpossibleDate_FailsValidBirthDate()
    {
        // Act
        var row = AdtPatient(v => v["date_of_birth"] = "13/45/1990");

        // Assert
        Assert.Equal(["valid_birth_date"], Failed(PatientExpectations.Set, row));
        Assert.Null(row.BirthDate);
        Assert.Null(row.AgeYears);
    }

    [Fact]
    public void LabPatient_AllZeroDate_FailsValidBirthDate()
    {
        // Act
        var row = LabPatient(v => v["date_of_birth"] = "00000000");

        // Assert
        Assert.Equal(["valid_birth_date"], Failed(PatientExpectations.Set, row));
        Assert.Null(row.BirthDate);
    }

    [Theory]
    [InlineData(SourceConventions.Adt, "1980-05-20")] // the EHR's format from the ADT: not guessed
    [InlineData(SourceConventions.Lab, "05/20/1980")]
    [InlineData(SourceConventions.Ehr, "05/20/1980")]
    public void Patient_DateInAnotherSourcesFormat_FailsValidBirthDate(string source, string date)
    {
        // Act
        var row = source switch
        {
            SourceConventions.Adt => AdtPatient(v => v["date_of_birth"] = date),
            SourceConventions.Lab => LabPatient(v => v["date_of_birth"] = date),
            _ => Patient(v => v["date_of_birth"] = date),
        };

        // Assert
        Assert.Equal(["valid_birth_date"], Failed(PatientExpectations.Set, row));
    }

    [Fact]
    public void Patient_StandardizedValues_AreWhatSilverKeeps()
    {
        // Act
        var row = Patient(v =>
        {
            v["first_name"] = "  mary-JANE ";
            v["gender"] = "female";
            v["zip_code"] = "89301-1234";
            v["state"] = "nv";
            v["phone"] = "702-555-0100";
        });

        // Assert
        Assert.Empty(Failed(PatientExpectations.Set, row));
        Assert.Equal("Mary-Jane", row.FirstName);
        Assert.Equal('F', row.Sex);
        Assert.Equal("000", row.Zip3);
        Assert.Equal(Regions.Southwest, row.Region);
        Assert.Equal("+17025550100", row.Phone);
        Assert.Equal(Hasher.Hash("123456789"), row.SsnHash);
    }

    // ---- Medical events, through MedicalEventRow.Parse ----

    private static MedicalEventRow Event(string source, string? type, string? provider, string? date = null, string? fileSource = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["event_id"] = "EVT00000001",
            ["patient_id"] = source switch { SourceConventions.Lab => "L00000001", SourceConventions.Adt => "A00000001", _ => "P00000001" },
            ["event_date"] = date ?? source switch
            {
                SourceConventions.Lab => "20250601101500",
                SourceConventions.Adt => "2025-06-01 10:15:00",
                _ => "2025-06-01T10:15:00Z",
            },
            ["event_type"] = type,
            ["medical_provider"] = provider,
            ["source_system"] = source,
            ["lab_code"] = type == "LAB_RESULT" ? "2345-7" : null,
            ["lab_value"] = type == "LAB_RESULT" ? "98.6" : null,
            ["lab_unit"] = type == "LAB_RESULT" ? "mg/dL" : null,
        };
        return MedicalEventRow.Parse(Row(MedicalEventRow.Columns, values), Batch(Entities.MedicalEvents, fileSource ?? source));
    }

    [Fact]
    public void LabResult_WithoutProvider_PassesProviderPresent()
    {
        // Act
        var row = Event(SourceConventions.Lab, "LAB_RESULT", provider: null);

        // Assert
        Assert.Equal(MedicalEventRow.LabResult, row.EventType);
        Assert.Empty(Failed(MedicalEventExpectations.Set, row));
        Assert.Equal(98.6m, row.LabValue);
    }

    [Fact]
    public void ClinicalNote_WithoutProvider_FailsProviderPresent_AndIsKeptWithTheWarning()
    {
        // Act
        var row = Event(SourceConventions.Ehr, "clinical_note", provider: null);
        var verdict = MedicalEventExpectations.Set.Evaluate(row, MedicalEventExpectations.Set.NewTally());

        // Assert
        Assert.Equal(["provider_present"], Failed(MedicalEventExpectations.Set, row));
        Assert.False(verdict.IsDropped);
        Assert.Equal(["provider_present"], verdict.Warned);
    }

    [Theory]
    [InlineData(SourceConventions.Adt, "ADMISSION")]
    [InlineData(SourceConventions.Adt, "discharge")]
    [InlineData(SourceConventions.Lab, "Vital_Signs")]
    [InlineData(SourceConventions.Ehr, "clinical_note")]
    public void Event_WithProvider_FailsNothing(string source, string type)
    {
        // Act
        var row = Event(source, type, provider: "Dr. Jane Roe");

        // Assert
        Assert.Empty(Failed(MedicalEventExpectations.Set, row));
        Assert.Equal(new DateTime(2025, 6, 1, 10, 15, 0, DateTimeKind.Utc), row.EventDate);
    }

    [Fact]
    public void Event_AfterTheIngestionTime_FailsEventDateNotInFuture()
    {
        // Act
        var later = Event(SourceConventions.Ehr, "clinical_note", "Dr. Jane Roe", date: "2025-06-15T12:00:01Z");
        var atIngestion = Event(SourceConventions.Ehr, "clinical_note", "Dr. Jane Roe", date: "2025-06-15T12:00:00Z");

        // Assert
        Assert.Equal(["event_date_not_in_future"], Failed(MedicalEventExpectations.Set, later));
        Assert.Empty(Failed(MedicalEventExpectations.Set, atIngestion));
    }

    [Fact]
    public void Event_TimeInAnotherSourcesFormat_FailsValidEventDate() =>
        Assert.Equal(["valid_event_date"], Failed(MedicalEventExpectations.Set, Event(SourceConventions.Adt, "admission", "Dr. Jane Roe", date: "20250601101500")));

    [Fact]
    public void Event_FromAFileOfAnotherSourceSystem_FailsValidSourceSystem()
    {
        // Act
        var row = Event(SourceConventions.Lab, "LAB_RESULT", null, fileSource: SourceConventions.Adt);

        // Assert
        Assert.Contains("valid_source_system", Failed(MedicalEventExpectations.Set, row));
        Assert.True(MedicalEventExpectations.Set.Evaluate(row, MedicalEventExpectations.Set.NewTally()).FailsBatch);
    }

    // ---- Helpers ----

    private static BronzeBatch Batch(string entity, string sourceSystem) =>
        new(Guid.NewGuid(), entity, Guid.NewGuid(), $"{entity}_{sourceSystem.ToLowerInvariant()}_20250615.csv", sourceSystem, 1, IngestedAt);

    /// <summary>A bronze row with the entity's columns in order (a column not given is blank, i.e. null).</summary>
    private static BronzeRow Row(string[] columns, Dictionary<string, string?> values, string? recordError = null)
    {
        Assert.All(values.Keys, column => Assert.Contains(column, columns)); // a misspelt column would silently be blank
        return new BronzeRow(2, [.. columns.Select(c => values.GetValueOrDefault(c))], recordError);
    }

    /// <summary>The names of the expectations that do not hold for <paramref name="row"/>, in declaration order.</summary>
    private static string[] Failed<TRow>(ExpectationSet<TRow> set, TRow row) => [.. set.All.Where(e => !e.Holds(row)).Select(e => e.Name)];
}
