using System.Text;
using Bogus;

namespace HealthMedallion.Generator.Generation;

/// <summary>A piece of text held as UTF-8 bytes (and in lower case, for e-mail addresses), ready to be written.</summary>
internal sealed class Text(string value)
{
    public string Value { get; } = value;

    public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(value);

    public byte[] Lower { get; } = Encoding.UTF8.GetBytes(value.ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal).Replace("'", "", StringComparison.Ordinal));

    public override string ToString() => Value;
}

internal sealed record City(Text Name, Text State, string Region, int ZipFrom, int ZipTo, int AreaCode);

/// <summary>
/// Everything the generator draws from, built once per process: names (from Bogus, with a fixed seed of their
/// own so that they never depend on the run's), real US cities with ZIP ranges of their state, plans,
/// providers, billable ICD-10-CM codes, CPT-format procedures and LOINC lab tests.
/// </summary>
internal sealed class ReferenceTables
{
    private static readonly Lazy<ReferenceTables> Shared = new(() => new ReferenceTables());

    public static ReferenceTables Instance => Shared.Value;

    // Common given names with the nickname another system may record instead.
    private static readonly (string Name, string Nickname, bool Male)[] Nicknames =
    [
        ("William", "Bill", true), ("Robert", "Bob", true), ("Richard", "Rick", true), ("James", "Jim", true),
        ("John", "Jack", true), ("Michael", "Mike", true), ("Thomas", "Tom", true), ("Joseph", "Joe", true),
        ("Charles", "Chuck", true), ("Christopher", "Chris", true), ("Daniel", "Dan", true), ("Matthew", "Matt", true),
        ("Anthony", "Tony", true), ("Steven", "Steve", true), ("Edward", "Ed", true), ("Alexander", "Alex", true),
        ("Benjamin", "Ben", true), ("Nicholas", "Nick", true), ("Jonathan", "Jon", true), ("Timothy", "Tim", true),
        ("Elizabeth", "Liz", false), ("Margaret", "Peggy", false), ("Jennifer", "Jen", false), ("Patricia", "Pat", false),
        ("Katherine", "Kate", false), ("Susan", "Sue", false), ("Deborah", "Debbie", false), ("Rebecca", "Becky", false),
        ("Samantha", "Sam", false), ("Kimberly", "Kim", false), ("Jessica", "Jess", false), ("Victoria", "Vicky", false),
    ];

    private ReferenceTables()
    {
        var faker = new Faker("en") { Random = new Randomizer(20_240_101) };
        MaleFirst = Collect(Nicknames.Where(n => n.Male).Select(n => n.Name), () => faker.Name.FirstName(Bogus.DataSets.Name.Gender.Male), 400);
        FemaleFirst = Collect(Nicknames.Where(n => !n.Male).Select(n => n.Name), () => faker.Name.FirstName(Bogus.DataSets.Name.Gender.Female), 400);
        Last = Collect(["O'Brien", "Smith-Jones", "De La Cruz"], () => faker.Name.LastName(), 1200);
        Streets = Collect([], () => faker.Address.StreetName(), 1500);
        Nickname = new Dictionary<Text, Text>();
        foreach (var (name, nickname, male) in Nicknames)
        {
            Nickname[(male ? MaleFirst : FemaleFirst).First(t => t.Value == name)] = new Text(nickname);
        }

        Providers = Enumerable.Range(0, 300)
            .Select(i => i % 3 == 0
                ? new Text($"{faker.Name.LastName()}, {faker.Name.FirstName()} MD")
                : new Text($"Dr. {faker.Name.FirstName()} {faker.Name.LastName()}"))
            .Concat(Facilities.Select(f => new Text(f)))
            .ToArray();
        Icd10Billable = LoadIcd10();
    }

    public Text[] MaleFirst { get; }

    public Text[] FemaleFirst { get; }

    public Text[] Last { get; }

    public Text[] Streets { get; }

    public Dictionary<Text, Text> Nickname { get; }

    public Text[] Providers { get; }

    public Text[] Icd10Billable { get; }

    public static readonly string[] Facilities =
    [
        "St. Mary's Medical Center", "General Hospital", "Riverside Clinic", "Mercy Health, North Campus",
        "University Hospital", "Lakeside Family Practice", "Valley \"Urgent\" Care",
    ];

    public static readonly Text[] AptPrefixes = [new("Apt "), new("Unit "), new("Suite "), new("#")];

    /// <summary>Cities with real ZIP ranges of their state; regions as in the insurance data set (four US quadrants).</summary>
    public static readonly City[] Cities =
    [
        C("New York", "NY", "NORTHEAST", 10001, 10040, "212"), C("Buffalo", "NY", "NORTHEAST", 14201, 14227, "716"),
        C("Boston", "MA", "NORTHEAST", 2108, 2137, "617"), C("Philadelphia", "PA", "NORTHEAST", 19102, 19154, "215"),
        C("Pittsburgh", "PA", "NORTHEAST", 15201, 15244, "412"), C("Newark", "NJ", "NORTHEAST", 7102, 7114, "973"),
        C("Hartford", "CT", "NORTHEAST", 6101, 6120, "860"), C("Portland", "ME", "NORTHEAST", 4101, 4109, "207"),
        C("Seattle", "WA", "NORTHWEST", 98101, 98199, "206"), C("Spokane", "WA", "NORTHWEST", 99201, 99224, "509"),
        C("Portland", "OR", "NORTHWEST", 97201, 97240, "503"), C("Boise", "ID", "NORTHWEST", 83702, 83716, "208"),
        C("Minneapolis", "MN", "NORTHWEST", 55401, 55488, "612"), C("Chicago", "IL", "NORTHWEST", 60601, 60661, "312"),
        C("Billings", "MT", "NORTHWEST", 59101, 59108, "406"), C("Omaha", "NE", "NORTHWEST", 68102, 68164, "402"),
        C("Miami", "FL", "SOUTHEAST", 33125, 33199, "305"), C("Tampa", "FL", "SOUTHEAST", 33602, 33694, "813"),
        C("Atlanta", "GA", "SOUTHEAST", 30303, 30350, "404"), C("Charlotte", "NC", "SOUTHEAST", 28202, 28299, "704"),
        C("Nashville", "TN", "SOUTHEAST", 37201, 37250, "615"), C("Richmond", "VA", "SOUTHEAST", 23219, 23298, "804"),
        C("Birmingham", "AL", "SOUTHEAST", 35203, 35298, "205"), C("Charleston", "SC", "SOUTHEAST", 29401, 29425, "843"),
        C("Houston", "TX", "SOUTHWEST", 77002, 77299, "713"), C("Dallas", "TX", "SOUTHWEST", 75201, 75398, "214"),
        C("Phoenix", "AZ", "SOUTHWEST", 85003, 85099, "602"), C("Los Angeles", "CA", "SOUTHWEST", 90001, 90099, "213"),
        C("San Diego", "CA", "SOUTHWEST", 92101, 92199, "619"), C("Albuquerque", "NM", "SOUTHWEST", 87101, 87125, "505"),
        C("Las Vegas", "NV", "SOUTHWEST", 89101, 89199, "702"), C("Denver", "CO", "SOUTHWEST", 80202, 80299, "303"),
    ];

    /// <summary>Cumulative weights of <see cref="Cities"/> (big cities more likely).</summary>
    public static readonly double[] CityWeights = Cumulative([9, 2, 4, 4, 2, 2, 2, 1, 4, 1, 3, 1, 3, 6, 1, 1, 4, 3, 4, 3, 3, 2, 2, 1, 6, 5, 5, 9, 4, 2, 3, 3]);

    public static readonly Text[] Plans =
    [
        new("PPO Gold"), new("PPO Silver"), new("HMO Standard"), new("HMO Plus"), new("EPO Basic"), new("HDHP with HSA"),
        new("Medicaid Managed Care"), new("Medicare Advantage"),
    ];

    public static readonly Text[] EmailDomains = [new("example.com"), new("example.org"), new("example.net")];

    public static readonly Text[] CareUnits = [new("ED"), new("ICU"), new("MED-SURG"), new("CARDIOLOGY"), new("ONCOLOGY"), new("MATERNITY"), new("ORTHO"), new("PEDS")];

    /// <summary>Frequent diagnoses (all billable in the 2021 release), drawn for most claims; the rest from all billable codes.</summary>
    public static readonly Text[] CommonIcd10 =
    [
        .. new[]
        {
            "I10", "E11.9", "E78.5", "J06.9", "Z00.00", "Z00.01", "K21.9", "F41.9", "F32.9", "J45.909", "E66.9", "N39.0",
            "R51.9", "M25.561", "Z23", "E03.9", "I25.10", "J44.9", "G47.33", "M17.11", "N18.30", "R10.9", "Z79.4", "E55.9",
            "R07.9", "J20.9", "B34.9", "H52.4", "L70.0", "M79.18", "R53.83", "Z12.31", "Z13.6", "I48.91", "I50.9", "E87.6",
            "D64.9", "R73.03", "K59.00", "J30.9", "S93.401A", "M54.5",
        }.Select(code => new Text(code)),
    ];

    /// <summary>CPT-format procedure codes (five digits) with their weights: office visits first.</summary>
    public static readonly Text[] Procedures =
    [
        .. new[]
        {
            "99213", "99214", "99212", "99203", "99204", "99215", "99285", "99284", "36415", "80053", "85025", "80061",
            "83036", "81001", "71046", "93000", "97110", "90471", "99396", "99395", "74177", "70450", "43239", "45378",
            "27447", "29881", "66984", "59400", "0241U", "3074F",
        }.Select(code => new Text(code)),
    ];

    public static readonly double[] ProcedureWeights = Cumulative([30, 22, 8, 6, 5, 5, 3, 3, 12, 8, 8, 5, 4, 4, 3, 4, 5, 4, 3, 3, 1, 1, 1, 1, 0.3, 0.5, 0.5, 0.3, 0.5, 1]);

    /// <summary>LOINC tests: code, unit, plausible range, and whether it is a vital sign.</summary>
    public static readonly LabTest[] LabTests =
    [
        new("2345-7", "mg/dL", 65, 180, 0, false), new("4548-4", "%", 4.2, 9.5, 1, false), new("2093-3", "mg/dL", 120, 290, 0, false),
        new("13457-7", "mg/dL", 50, 200, 0, false), new("2160-0", "mg/dL", 0.5, 1.9, 2, false), new("718-7", "g/dL", 10.5, 17.5, 1, false),
        new("6690-2", "10*3/uL", 3.5, 12.5, 1, false), new("2823-3", "mmol/L", 3.3, 5.4, 1, false), new("2951-2", "mmol/L", 132, 148, 0, false),
        new("1742-6", "U/L", 7, 65, 0, false),
        new("8867-4", "/min", 52, 115, 0, true), new("8480-6", "mm[Hg]", 95, 175, 0, true), new("8462-4", "mm[Hg]", 55, 105, 0, true),
        new("8310-5", "Cel", 35.9, 38.6, 1, true), new("29463-7", "kg", 45, 150, 1, true), new("39156-5", "kg/m2", 17, 45, 1, true),
    ];

    public static double[] Cumulative(ReadOnlySpan<double> weights)
    {
        var result = new double[weights.Length];
        var sum = 0.0;
        for (var i = 0; i < weights.Length; i++)
        {
            sum += weights[i];
            result[i] = sum;
        }

        return result;
    }

    private static City C(string name, string state, string region, int from, int to, string area) =>
        new(new Text(name), new Text(state), region, from, to, int.Parse(area, System.Globalization.CultureInfo.InvariantCulture));

    private static Text[] Collect(IEnumerable<string> first, Func<string> next, int count)
    {
        var seen = new HashSet<string>(first, StringComparer.Ordinal);
        var ordered = new List<string>(seen);
        for (var attempts = 0; ordered.Count < count && attempts < count * 20; attempts++)
        {
            var value = next();
            if (seen.Add(value))
            {
                ordered.Add(value);
            }
        }

        return [.. ordered.Select(v => new Text(v))];
    }

    private static Text[] LoadIcd10()
    {
        using var stream = typeof(ReferenceTables).Assembly.GetManifestResourceStream("HealthMedallion.Generator.ReferenceData.icd10cm_billable_2021.txt")
            ?? throw new InvalidOperationException("The embedded ICD-10-CM code list is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var codes = new List<Text>(73_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                codes.Add(new Text(line));
            }
        }

        return [.. codes];
    }
}

internal sealed record LabTest(string Code, string Unit, double Low, double High, int Decimals, bool IsVital)
{
    public byte[] CodeUtf8 { get; } = Encoding.UTF8.GetBytes(Code);

    public byte[] UnitUtf8 { get; } = Encoding.UTF8.GetBytes(Unit);
}
