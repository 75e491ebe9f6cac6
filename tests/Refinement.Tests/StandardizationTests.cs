using HealthMedallion.Refinement.Claims;
using HealthMedallion.Refinement.Deidentification;
using HealthMedallion.Refinement.Standardization;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Refinement.Tests;

/// <summary>The pure functions silver standardizes and de-identifies with: no database, no bus.</summary>
public sealed class StandardizationTests
{
    private const string Key = "test-key-0123456789abcdef0123456789abcdef";

    // ---- Standardize.Sex / Boolean / Amount ----

    [Theory]
    [InlineData("Male", 'M')]
    [InlineData("male", 'M')]
    [InlineData("MALE", 'M')]
    [InlineData("M", 'M')]
    [InlineData("m", 'M')]
    [InlineData(" M ", 'M')]
    [InlineData("Female", 'F')]
    [InlineData("female", 'F')]
    [InlineData("FEMALE", 'F')]
    [InlineData("F", 'F')]
    [InlineData("f", 'F')]
    [InlineData("U", 'U')]
    [InlineData("Unknown", 'U')]
    [InlineData("unknown", 'U')]
    [InlineData("X", 'U')]
    [InlineData("O", 'U')]
    [InlineData("Other", 'U')]
    public void Sex_SourceSpelling_IsStandardized(string value, char expected)
    {
        // Act
        var sex = Standardize.Sex(value);

        // Assert
        Assert.Equal(expected, sex);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Q")]
    [InlineData("Mal")]
    [InlineData("Femme")]
    [InlineData("1")]
    [InlineData("MF")]
    public void Sex_UnknownSpelling_IsNull(string value) => Assert.Null(Standardize.Sex(value));

    [Theory]
    [InlineData("Yes", true)]
    [InlineData("yes", true)]
    [InlineData("Y", true)]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("T", true)]
    [InlineData("1", true)]
    [InlineData(" yes ", true)]
    [InlineData("No", false)]
    [InlineData("no", false)]
    [InlineData("N", false)]
    [InlineData("false", false)]
    [InlineData("F", false)]
    [InlineData("0", false)]
    public void Boolean_SourceSpelling_IsStandardized(string value, bool expected) => Assert.Equal(expected, Standardize.Boolean(value));

    [Theory]
    [InlineData("")]
    [InlineData("maybe")]
    [InlineData("2")]
    [InlineData("yess")]
    public void Boolean_UnknownSpelling_IsNull(string value) => Assert.Null(Standardize.Boolean(value));

    [Theory]
    [InlineData("1234.56", "1234.56")]
    [InlineData("$1234.56", "1234.56")]
    [InlineData("$1,234.56", "1234.56")]
    [InlineData("1,234,567.89", "1234567.89")]
    [InlineData(" 42 ", "42")]
    [InlineData("-5", "-5")]
    [InlineData("0.00", "0")]
    public void Amount_DecimalWithDollarAndThousands_IsParsed(string value, string expected)
    {
        // Act
        var amount = Standardize.Amount(value);

        // Assert
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), amount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("$")]
    [InlineData("abc")]
    [InlineData("12.3.4")]
    [InlineData("1 234")]
    [InlineData("1e5")]
    [InlineData("$$12")]
    public void Amount_NotANumber_IsNull(string value) => Assert.Null(Standardize.Amount(value));

    // ---- Standardize.Phone / Email ----

    [Theory]
    [InlineData("(212) 555-0100")]
    [InlineData("212-555-0100")]
    [InlineData("2125550100")]
    [InlineData("12125550100")]
    [InlineData("1-212-555-0100")]
    [InlineData("+1 (212) 555-0100")]
    [InlineData("212.555.0100")]
    [InlineData(" 212 555 0100 ")]
    public void Phone_AnySourceStyle_IsE164(string value) => Assert.Equal("+12125550100", Standardize.Phone(value));

    [Theory]
    [InlineData("")]
    [InlineData("555-0100")]          // seven digits
    [InlineData("212-555-010")]       // nine digits
    [InlineData("22125550100")]       // eleven digits not starting with 1
    [InlineData("212555010012")]      // twelve digits
    [InlineData("1-212-555-01000")]   // twelve digits with the country code
    [InlineData("212-555-01OO")]      // letters
    [InlineData("212/555/0100")]      // other punctuation
    [InlineData("212-555-0100 x12")]  // an extension
    public void Phone_Invalid_IsNull(string value) => Assert.Null(Standardize.Phone(value));

    [Theory]
    [InlineData("john.doe@example.com", "john.doe@example.com")]
    [InlineData(" John.Doe@Example.COM ", "john.doe@example.com")]
    [InlineData("mary_o+tag@mail.example.org", "mary_o+tag@mail.example.org")]
    [InlineData("a-b@my-domain.net", "a-b@my-domain.net")]
    public void Email_WellFormed_IsTrimmedAndLowerCased(string value, string expected) => Assert.Equal(expected, Standardize.Email(value));

    [Theory]
    [InlineData("")]
    [InlineData("john")]
    [InlineData("john@")]
    [InlineData("john@example")]
    [InlineData("@example.com")]
    [InlineData("john doe@example.com")]
    [InlineData("john@example.c")]
    [InlineData("john@@example.com")]
    [InlineData("john@example..com")]
    public void Email_Malformed_IsNull(string value) => Assert.Null(Standardize.Email(value));

    // ---- Standardize.Name ----

    [Theory]
    [InlineData("john", "John")]
    [InlineData("JOHN", "John")]
    [InlineData("  john  ", "John")]
    [InlineData("mcDONALD  jr", "Mcdonald Jr")]
    [InlineData("van   der    berg", "Van Der Berg")]
    [InlineData("mary\tjane", "Mary Jane")]
    [InlineData("MARY-JANE", "Mary-Jane")]
    [InlineData("smith-jones", "Smith-Jones")]
    [InlineData("o'brien", "O'Brien")]
    [InlineData("D'ANGELO", "D'Angelo")]
    [InlineData("12 main st", "12 Main St")]
    public void Name_IsTrimmedCollapsedAndCapitalised(string value, string expected) => Assert.Equal(expected, Standardize.Name(value));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t")]
    public void Name_Blank_IsNull(string value) => Assert.Null(Standardize.Name(value));

    [Theory]
    [InlineData("mary - jane", "Mary - Jane")]
    [InlineData("o' brien", "O' Brien")]
    public void Name_SpaceAfterHyphenOrApostrophe_IsKept(string value, string expected)
    {
        // The contract collapses runs of spaces; a single space is not a run and must stay.
        Assert.Equal(expected, Standardize.Name(value));
    }

    // ---- Standardize.State / Zip / Age ----

    [Theory]
    [InlineData("NY", "NY")]
    [InlineData("ny", "NY")]
    [InlineData(" ca ", "CA")]
    [InlineData("dc", "DC")]
    [InlineData("AK", "AK")]
    public void State_KnownCode_IsUpperCased(string value, string expected) => Assert.Equal(expected, Standardize.State(value));

    [Theory]
    [InlineData("")]
    [InlineData("XX")]
    [InlineData("PR")]
    [InlineData("GU")]
    [InlineData("New York")]
    [InlineData("N")]
    public void State_NotAStateOrDc_IsNull(string value) => Assert.Null(Standardize.State(value));

    [Theory]
    [InlineData("10001", "10001")]
    [InlineData("02108", "02108")]
    [InlineData(" 02108 ", "02108")]
    [InlineData("10001-1234", "10001")]
    [InlineData("98101-0001", "98101")]
    public void Zip_FiveDigitsOrZipPlus4_IsFiveDigits(string value, string expected) => Assert.Equal(expected, Standardize.Zip(value));

    [Theory]
    [InlineData("")]
    [InlineData("1234")]
    [InlineData("123456")]
    [InlineData("10001-12")]
    [InlineData("10001-12345")]
    [InlineData("10001 1234")]
    [InlineData("100011234")]
    [InlineData("ABCDE")]
    public void Zip_Malformed_IsNull(string value) => Assert.Null(Standardize.Zip(value));

    [Theory]
    [InlineData("2000-06-15", "2025-06-14", 24)] // the day before the birthday
    [InlineData("2000-06-15", "2025-06-15", 25)] // the birthday
    [InlineData("2000-06-15", "2025-06-16", 25)] // the day after
    [InlineData("2000-06-15", "2000-06-15", 0)]  // the day of birth
    [InlineData("2000-12-31", "2001-01-01", 0)]  // across a new year, not a birthday
    [InlineData("1999-01-01", "2024-12-31", 25)]
    [InlineData("2000-02-29", "2024-02-28", 23)] // a leap year: the birthday is the 29th
    [InlineData("2000-02-29", "2024-02-29", 24)]
    [InlineData("2000-02-29", "2025-02-27", 24)]
    [InlineData("2000-02-29", "2025-02-28", 25)] // no 29 February: the birthday is taken on the 28th
    [InlineData("2000-02-29", "2025-03-01", 25)]
    public void Age_CompletedYears_AcrossBirthdaysAndFebruary29(string birth, string asOf, int expected)
    {
        // Act
        var age = Standardize.Age(DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(asOf, System.Globalization.CultureInfo.InvariantCulture));

        // Assert
        Assert.Equal(expected, age);
    }

    // ---- SourceConventions ----

    [Theory]
    [InlineData(SourceConventions.Adt, "03/04/2025", 2025, 3, 4)]
    [InlineData(SourceConventions.Adt, "12/31/1990", 1990, 12, 31)]
    [InlineData(SourceConventions.Ehr, "2025-03-04", 2025, 3, 4)]
    [InlineData(SourceConventions.Ehr, "2024-02-29", 2024, 2, 29)]
    [InlineData(SourceConventions.Lab, "20250304", 2025, 3, 4)]
    [InlineData(SourceConventions.Claims, "04-Mar-2025", 2025, 3, 4)]
    public void TryParseDate_OwnFormat_Parses(string source, string value, int year, int month, int day)
    {
        // Act
        var parsed = SourceConventions.Of(source)!.TryParseDate(value, out var date);

        // Assert
        Assert.True(parsed);
        Assert.Equal(new DateOnly(year, month, day), date);
    }

    [Theory]
    [InlineData(SourceConventions.Ehr, "03/04/2025")]   // the ADT's format
    [InlineData(SourceConventions.Lab, "03/04/2025")]
    [InlineData(SourceConventions.Claims, "03/04/2025")]
    [InlineData(SourceConventions.Adt, "2025-03-04")]   // the EHR's format
    [InlineData(SourceConventions.Lab, "2025-03-04")]
    [InlineData(SourceConventions.Ehr, "20250304")]     // the LAB's format
    [InlineData(SourceConventions.Adt, "20250304")]
    [InlineData(SourceConventions.Ehr, "04-Mar-2025")]  // the claims' format
    [InlineData(SourceConventions.Ehr, "2021-02-30")]   // not a real date
    [InlineData(SourceConventions.Adt, "02/30/2021")]
    [InlineData(SourceConventions.Lab, "20210230")]
    [InlineData(SourceConventions.Claims, "30-Feb-2021")]
    [InlineData(SourceConventions.Ehr, "2023-02-29")]
    [InlineData(SourceConventions.Adt, "13/45/1990")]
    [InlineData(SourceConventions.Lab, "00000000")]
    [InlineData(SourceConventions.Ehr, "2025-3-4")]
    [InlineData(SourceConventions.Ehr, "")]
    public void TryParseDate_OtherFormatOrImpossibleDate_IsUnparseable(string source, string value)
    {
        // Act
        var parsed = SourceConventions.Of(source)!.TryParseDate(value, out _);

        // Assert
        Assert.False(parsed);
    }

    [Theory]
    [InlineData(SourceConventions.Ehr, "2025-03-04T10:15:30Z")]
    [InlineData(SourceConventions.Ehr, "2025-03-04T10:15:30.0000000Z")]
    [InlineData(SourceConventions.Adt, "2025-03-04 10:15:30")]
    [InlineData(SourceConventions.Lab, "20250304101530")]
    public void TryParseDateTime_OwnFormat_IsUtc(string source, string value)
    {
        // Act
        var parsed = SourceConventions.Of(source)!.TryParseDateTime(value, out var utc);

        // Assert: the time as written, in UTC, whatever the machine's zone.
        Assert.True(parsed);
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
        Assert.Equal(new DateTime(2025, 3, 4, 10, 15, 30, DateTimeKind.Utc), utc);
    }

    [Fact]
    public void TryParseDateTime_EhrFractionalSeconds_AreKept()
    {
        Assert.True(SourceConventions.EhrSystem.TryParseDateTime("2025-03-04T10:15:30.25Z", out var utc));
        Assert.Equal(new DateTime(2025, 3, 4, 10, 15, 30, 250, DateTimeKind.Utc), utc);
    }

    [Theory]
    [InlineData(SourceConventions.Ehr, "2025-03-04 10:15:30")]
    [InlineData(SourceConventions.Ehr, "2025-03-04T10:15:30+02:00")]
    [InlineData(SourceConventions.Ehr, "2025-03-04T10:15:30")]
    [InlineData(SourceConventions.Adt, "2025-03-04T10:15:30Z")]
    [InlineData(SourceConventions.Adt, "20250304101530")]
    [InlineData(SourceConventions.Lab, "2025-03-04 10:15:30")]
    [InlineData(SourceConventions.Lab, "20250230101530")]
    [InlineData(SourceConventions.Adt, "2025-03-04 25:00:00")]
    [InlineData(SourceConventions.Claims, "04-Mar-2025")] // the claims system sends no times
    public void TryParseDateTime_OtherFormatOrImpossibleTime_IsUnparseable(string source, string value)
    {
        // Act
        var parsed = SourceConventions.Of(source)!.TryParseDateTime(value, out var utc);

        // Assert
        Assert.False(parsed);
        Assert.Equal(default, utc);
    }

    [Theory]
    [InlineData("BILLING_SYSTEM")]
    [InlineData("ehr_system")]
    [InlineData("")]
    [InlineData(null)]
    public void Of_UndeclaredSystem_IsNull(string? source) => Assert.Null(SourceConventions.Of(source));

    [Theory]
    [InlineData(SourceConventions.Ehr, "P00000001", true)]
    [InlineData(SourceConventions.Adt, "A12345678", true)]
    [InlineData(SourceConventions.Lab, "L12345678", true)]
    [InlineData(SourceConventions.Claims, "P12345678", true)] // claims carry the EHR's ids
    [InlineData(SourceConventions.Ehr, "A12345678", false)]
    [InlineData(SourceConventions.Adt, "P12345678", false)]
    [InlineData(SourceConventions.Lab, "P12345678", false)]
    [InlineData(SourceConventions.Claims, "A12345678", false)]
    [InlineData(SourceConventions.Ehr, "p12345678", false)]
    [InlineData(SourceConventions.Ehr, "P1234567", false)]
    [InlineData(SourceConventions.Ehr, "P123456789", false)]
    [InlineData(SourceConventions.Ehr, "P1234567X", false)]
    [InlineData(SourceConventions.Ehr, "P1234 678", false)]
    [InlineData(SourceConventions.Ehr, "", false)]
    [InlineData(SourceConventions.Ehr, null, false)]
    [InlineData("BILLING_SYSTEM", "P12345678", false)]
    public void IsPatientIdOf_PrefixAndEightDigits(string source, string? patientId, bool expected) =>
        Assert.Equal(expected, SourceConventions.IsPatientIdOf(source, patientId));

    // ---- Regions ----

    private static readonly string[] FiftyStatesAndDc =
    [
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA",
        "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN",
        "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
    ];

    public static TheoryData<string> StatesAndDc => [.. FiftyStatesAndDc];

    [Theory]
    [MemberData(nameof(StatesAndDc))]
    public void OfState_EveryStateAndDc_MapsToOneOfTheFourRegions(string state)
    {
        // Act
        var region = Regions.OfState(state);

        // Assert
        Assert.Contains(region, new[] { Regions.Northeast, Regions.Northwest, Regions.Southeast, Regions.Southwest });
    }

    [Fact]
    public void OfState_FiftyStatesAndDc_CoverAllFourRegions()
    {
        // Arrange
        var states = FiftyStatesAndDc;

        // Act
        var regions = states.GroupBy(Regions.OfState).ToDictionary(g => g.Key ?? "(none)", g => g.Count());

        // Assert: 51 distinct codes, each in exactly one of the four regions.
        Assert.Equal(51, states.Distinct().Count());
        Assert.Equal(new[] { Regions.Northeast, Regions.Northwest, Regions.Southeast, Regions.Southwest }.Order(), regions.Keys.Order());
        Assert.Equal(51, regions.Values.Sum());
    }

    [Theory]
    [InlineData("NY", Regions.Northeast)]
    [InlineData("MA", Regions.Northeast)]
    [InlineData("PA", Regions.Northeast)]
    [InlineData("NJ", Regions.Northeast)]
    [InlineData("CT", Regions.Northeast)]
    [InlineData("ME", Regions.Northeast)]
    [InlineData("WA", Regions.Northwest)]
    [InlineData("OR", Regions.Northwest)]
    [InlineData("ID", Regions.Northwest)]
    [InlineData("MN", Regions.Northwest)]
    [InlineData("IL", Regions.Northwest)]
    [InlineData("MT", Regions.Northwest)]
    [InlineData("NE", Regions.Northwest)]
    [InlineData("FL", Regions.Southeast)]
    [InlineData("GA", Regions.Southeast)]
    [InlineData("NC", Regions.Southeast)]
    [InlineData("TN", Regions.Southeast)]
    [InlineData("VA", Regions.Southeast)]
    [InlineData("AL", Regions.Southeast)]
    [InlineData("SC", Regions.Southeast)]
    [InlineData("TX", Regions.Southwest)]
    [InlineData("AZ", Regions.Southwest)]
    [InlineData("CA", Regions.Southwest)]
    [InlineData("NM", Regions.Southwest)]
    [InlineData("NV", Regions.Southwest)]
    [InlineData("CO", Regions.Southwest)]
    public void OfState_GeneratorCityState_IsTheGeneratorsRegion(string state, string region) => Assert.Equal(region, Regions.OfState(state));

    [Theory]
    [InlineData("ny")]
    [InlineData("PR")]
    [InlineData("GU")]
    [InlineData("XX")]
    [InlineData("")]
    public void OfState_NotAnUpperCaseStateCode_IsNull(string state) => Assert.Null(Regions.OfState(state));

    // ---- SafeHarbor ----

    [Theory]
    [InlineData(0, 0)]
    [InlineData(45, 45)]
    [InlineData(88, 88)]
    [InlineData(89, 90)]
    [InlineData(90, 90)]
    [InlineData(95, 90)]
    [InlineData(120, 90)]
    public void Age_From89_IsCappedAt90(int years, int expected) => Assert.Equal(expected, SafeHarbor.Age(years));

    /// <summary>The HHS list of three-digit ZIPs with 20,000 people or fewer (Census 2000), written out independently of the service.</summary>
    private static readonly string[] HhsRestrictedZip3 =
        ["036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890", "893"];

    public static TheoryData<string> RestrictedZip3 => [.. HhsRestrictedZip3];

    [Theory]
    [MemberData(nameof(RestrictedZip3))]
    public void Zip3_RestrictedPrefix_Is000(string prefix)
    {
        // Arrange
        var zip = prefix + "42";

        // Act
        var zip3 = SafeHarbor.Zip3(zip);

        // Assert
        Assert.Equal("000", zip3);
    }

    [Fact]
    public void RestrictedZip3_IsExactlyTheHhsList() => Assert.Equal(HhsRestrictedZip3.Order(), SafeHarbor.RestrictedZip3.Order());

    [Theory]
    [InlineData("10001", "100")]
    [InlineData("02108", "021")]
    [InlineData("89101", "891")] // Las Vegas: 890 and 893 are restricted, 891 is not
    [InlineData("83702", "837")]
    [InlineData("03701", "037")] // next to 036
    [InlineData("10301", "103")] // next to 102
    [InlineData("89401", "894")] // next to 893
    [InlineData("00501", "005")]
    public void Zip3_OtherPrefix_IsItsFirstThreeDigits(string zip, string expected) => Assert.Equal(expected, SafeHarbor.Zip3(zip));

    // ---- SsnHasher ----

    private static SsnHasher Hasher(string key = Key) => new(Options.Create(new RefinementOptions { SsnHashKey = key }));

    [Theory]
    [InlineData("123-45-6789", "123456789")]
    [InlineData("123 45 6789", "123456789")]
    [InlineData("123-45-6789", "123 45 6789")]
    public void Hash_SameSsnWithOrWithoutPunctuation_IsTheSame(string one, string other)
    {
        // Arrange
        var hasher = Hasher();

        // Act
        var first = hasher.Hash(one);
        var second = hasher.Hash(other);

        // Assert
        Assert.NotNull(first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Hash_IsLowerCaseHexOfHmacSha256()
    {
        var hash = Hasher().Hash("123-45-6789");

        Assert.NotNull(hash);
        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public void Hash_DifferentSsns_DifferentHashes() => Assert.NotEqual(Hasher().Hash("123-45-6789"), Hasher().Hash("123-45-6788"));

    [Fact]
    public void Hash_DifferentKey_DifferentHash()
    {
        // Arrange
        var one = Hasher("first-key-0123456789abcdef0123456789abcdef");
        var other = Hasher("other-key-0123456789abcdef0123456789abcdef");

        // Act / Assert
        Assert.NotEqual(one.Hash("123-45-6789"), other.Hash("123-45-6789"));
    }

    [Theory]
    [InlineData("123-45-6789")]
    [InlineData("987654321")]
    [InlineData("000-12-3456")]
    [InlineData("555-55-5555")]
    public void Hash_NeverContainsTheSsnsDigits(string ssn)
    {
        // Arrange
        var digits = ssn.Replace("-", "", StringComparison.Ordinal);

        // Act
        var hash = Hasher().Hash(ssn);

        // Assert
        Assert.NotNull(hash);
        Assert.DoesNotContain(digits, hash, StringComparison.Ordinal);
        Assert.DoesNotContain(ssn, hash, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("12345678")]      // eight digits
    [InlineData("123-45-678")]
    [InlineData("1234567890")]    // ten digits
    [InlineData("123-45-67890")]
    [InlineData("12345678X")]     // letters
    [InlineData("ABC-DE-FGHI")]
    [InlineData("123.45.6789")]   // other punctuation
    [InlineData("")]
    public void Hash_NotNineDigits_IsNull(string ssn) => Assert.Null(Hasher().Hash(ssn));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("short-key")]
    [InlineData("0123456789abcdef0123456789abcde")] // 31 characters
    public void Constructor_MissingOrShortKey_ThrowsNamingTheSetting(string key)
    {
        // Act
        var error = Assert.Throws<InvalidOperationException>(() => Hasher(key));

        // Assert
        Assert.Contains("Refinement:SsnHashKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_KeyOf32Characters_IsAccepted() => Assert.NotNull(Hasher("0123456789abcdef0123456789abcdef").Hash("123456789"));

    // ---- ClaimCategories ----

    [Theory]
    [InlineData("99284", "R07.9", ClaimCategories.Emergency)]
    [InlineData("99223", "I50.9", ClaimCategories.Inpatient)]
    [InlineData("99395", "Z00.00", ClaimCategories.Preventive)]
    [InlineData("99213", "I10", ClaimCategories.OfficeVisit)]
    [InlineData("90837", "F41.9", ClaimCategories.BehavioralHealth)]
    [InlineData("59400", "O80", ClaimCategories.Maternity)]
    [InlineData("71046", "J18.9", ClaimCategories.Imaging)]
    [InlineData("80053", "E11.9", ClaimCategories.Laboratory)]
    [InlineData("36415", "E11.9", ClaimCategories.Laboratory)] // venipuncture
    [InlineData("0001U", "E11.9", ClaimCategories.Laboratory)] // proprietary laboratory analysis
    [InlineData("27447", "M17.11", ClaimCategories.Surgery)]
    [InlineData("93000", "I48.91", ClaimCategories.Medicine)]
    [InlineData("J1100", "J45.909", ClaimCategories.DrugsAndSupplies)]
    [InlineData("A0428", "I10", ClaimCategories.Other)]
    [InlineData(null, "I10", ClaimCategories.Other)]
    public void Of_OneCasePerCategory(string? procedure, string diagnosis, string expected) =>
        Assert.Equal(expected, ClaimCategories.Of(procedure, diagnosis));

    [Fact]
    public void Of_Cases_CoverEveryCategory()
    {
        // The cases of Of_OneCasePerCategory, so that a new category cannot go untested.
        var covered = new[]
        {
            ClaimCategories.Emergency, ClaimCategories.Inpatient, ClaimCategories.Preventive, ClaimCategories.OfficeVisit,
            ClaimCategories.BehavioralHealth, ClaimCategories.Maternity, ClaimCategories.Imaging, ClaimCategories.Laboratory,
            ClaimCategories.Surgery, ClaimCategories.Medicine, ClaimCategories.DrugsAndSupplies, ClaimCategories.Other,
        };

        Assert.Equal(ClaimCategories.All.Order(), covered.Order());
    }

    [Theory]
    [InlineData("99213", "F32.9", ClaimCategories.BehavioralHealth)] // an office visit for depression
    [InlineData("99284", "F10.20", ClaimCategories.BehavioralHealth)]
    [InlineData("99213", "O24.410", ClaimCategories.Maternity)]      // an office visit in pregnancy
    [InlineData("76805", "O09.90", ClaimCategories.Maternity)]       // an obstetric ultrasound
    [InlineData("90837", "O99.340", ClaimCategories.Maternity)]      // pregnancy decides over mental health
    [InlineData("99213", "Z00.00", ClaimCategories.Preventive)]      // a check-up on an office visit
    [InlineData("99214", "Z13.6", ClaimCategories.Preventive)]
    [InlineData("90471", "Z23", ClaimCategories.Preventive)]         // an immunization
    [InlineData("99213", "Z79.4", ClaimCategories.OfficeVisit)]      // long-term insulin is not a screening
    [InlineData("99213", "Z14.1", ClaimCategories.OfficeVisit)]
    [InlineData("80053", "Z00.00", ClaimCategories.Laboratory)]      // screening only turns visits preventive
    public void Of_DiagnosisDecides(string procedure, string diagnosis, string expected) =>
        Assert.Equal(expected, ClaimCategories.Of(procedure, diagnosis));
}
