using HealthMedallion.Refinement.Identity.Blocking;
using HealthMedallion.Refinement.Identity.Clustering;
using HealthMedallion.Refinement.Identity.Comparison;
using HealthMedallion.Refinement.Identity.Records;
using HealthMedallion.Refinement.Identity.Scoring;

namespace HealthMedallion.Refinement.Tests.Identity;

/// <summary>The comparison functions, the model's arithmetic and the clustering guards, on their own.</summary>
public sealed class ComparisonTests
{
    [Theory]
    [InlineData("MARTHA", "MARHTA", 0.961)]
    [InlineData("DWAYNE", "DUANE", 0.840)]
    [InlineData("DIXON", "DICKSONX", 0.813)]
    [InlineData("SMITH", "SMITH", 1.0)]
    [InlineData("ABC", "XYZ", 0.0)]
    public void JaroWinkler_GivesTheTextbookValues(string a, string b, double expected) =>
        Assert.Equal(expected, JaroWinkler.Similarity(a, b), 3);

    [Theory]
    [InlineData("ROBERT", "R163")]
    [InlineData("RUPERT", "R163")]
    [InlineData("ASHCRAFT", "A261")]
    [InlineData("TYMCZAK", "T522")]
    [InlineData("PFISTER", "P236")]
    [InlineData("LEE", "L000")]
    public void Phonetic_IsTheSoundexCode(string letters, string code) => Assert.Equal(code, NameForms.Phonetic(letters));

    [Theory]
    [InlineData("Smith Jr", "SMITH", "JR")]
    [InlineData("O'Brien-Smith", "OBRIENSMITH", null)]
    [InlineData("Pemberton III", "PEMBERTON", "III")]
    [InlineData("Jr", "JR", null)]
    public void FamilyAndSuffix_SplitsAGenerationalSuffix(string last, string family, string? suffix) =>
        Assert.Equal((family, suffix), NameForms.FamilyAndSuffix(last));

    [Theory]
    [InlineData("WILLIAM", "BILL", 1)]
    [InlineData("BILL", "WILLIAM", 1)]
    [InlineData("MARGARET", "PEGGY", 1)]
    [InlineData("JON", "JOHN", 1)]
    [InlineData("JOHN", "JOHN", 0)]
    [InlineData("JONATHON", "JONATHAN", 2)]
    [InlineData("J", "JOHN", 3)]
    [InlineData("ANNA", "MARIA", 4)]
    public void FirstNames_AreGraded(string a, string b, byte level) => Assert.Equal(level, RecordComparison.FirstNameLevel(a, b));

    [Theory]
    [InlineData("1961-04-12", "1961-04-12", 0)]
    [InlineData("1961-04-12", "1961-12-04", 1)] // day and month transposed
    [InlineData("1961-04-12", "1961-04-13", 1)] // a day apart
    [InlineData("1961-04-12", "1991-04-12", 1)] // one digit wrong
    [InlineData("1961-04-12", "1961-09-28", 2)] // same year
    [InlineData("1950-03-03", "1981-07-19", 3)] // father and son
    public void BirthDates_AreGraded(string a, string b, byte level) =>
        Assert.Equal(level, RecordComparison.BirthDateLevel(DateOnly.Parse(a, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(b, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("+19078410011", "+19078410011", 0)]
    [InlineData("+19078410011", "+19078410012", 1)]
    [InlineData("+19078410011", "+19078401011", 1)]
    [InlineData("+19078410011", "+12125550100", 2)]
    public void Phones_AreGraded(string a, string b, byte level) => Assert.Equal(level, RecordComparison.PhoneLevel(a, b));

    [Fact]
    public void SwappedNames_AreComparedTheWayRoundThatAgrees()
    {
        var ehr = Record("EHR_SYSTEM", "P1", "Chidi", "Okonkwo");
        var lab = Record("LAB_SYSTEM", "L1", "Okonkwo", "Chidi");
        Span<byte> levels = stackalloc byte[IdentityFields.Count];

        RecordComparison.Compare(ehr, lab, levels);

        Assert.Equal((0, 0), (levels[IdentityFields.FirstName], levels[IdentityFields.LastName]));
    }

    [Fact]
    public void AJuniorAndHisFather_DifferOnlyInSuffixAndBirthDate()
    {
        var father = Record("EHR_SYSTEM", "P1", "John", "Pemberton", "1950-03-03");
        var son = Record("EHR_SYSTEM", "P2", "John", "Pemberton Jr", "1981-07-19");
        Span<byte> levels = stackalloc byte[IdentityFields.Count];

        RecordComparison.Compare(father, son, levels);

        Assert.Equal((0, 1, 3), (levels[IdentityFields.LastName], levels[IdentityFields.Suffix], levels[IdentityFields.BirthDate]));
    }

    [Fact]
    public void MatchProbability_FollowsTheWeightAndThePrior()
    {
        var model = MatchModel.Starting() with { Prior = 0.5 };

        Assert.Equal(0.5, model.Probability(0), 6);
        Assert.Equal(0.8, model.Probability(2), 6); // odds 4:1
        Assert.True(model.FieldWeight(IdentityFields.Mrn, 0) > 10, "a shared MRN is strong evidence even before estimation");
        Assert.True(model.FieldWeight(IdentityFields.BirthDate, 3) < 0, "a different birth date speaks against a match");
    }

    [Fact]
    public void BlockingKeys_LetSwappedNamesAndMissingBirthDatesMeet()
    {
        var ehr = Record("EHR_SYSTEM", "P1", "Chidi", "Okonkwo", zip: "99503");
        var swapped = Record("LAB_SYSTEM", "L1", "Okonkwo", "Chidi", phone: null, zip: "99503");
        var noBirth = Record("ADT_SYSTEM", "A1", "Chidi", "Okonkwo", birth: null, phone: null, zip: "99503");

        var pairs = CandidatePairs.Generate([ehr, swapped, noBirth], touchedOnly: false);

        Assert.Contains((0, 1), pairs);
        Assert.Contains((0, 2), pairs);
    }

    [Fact]
    public void CandidatePairs_AreEveryCrossSourcePairSharingAKeyOfASpecificBlock()
    {
        // Small pools of names, dates, phones and ZIPs, so that blocks of every size occur, some above the limit.
        var random = new Random(7);
        string[] sources = ["EHR_SYSTEM", "ADT_SYSTEM", "LAB_SYSTEM"];
        string[] names = ["Anna", "Ana", "Chidi", "Li", "Maria", "Mario", "John", "Joan", "Wu", "Okonkwo"];
        var records = Enumerable.Range(0, 900).Select(i => Record(sources[i % 3], $"R{i}", names[random.Next(names.Length)], names[random.Next(names.Length)],
            i % 5 == 0 ? null : $"19{random.Next(60, 64)}-01-0{random.Next(1, 4)}", i % 4 == 0 ? null : $"+1907841{random.Next(100, 130):0000}",
            $"99{random.Next(500, 520)}")).ToList();

        var keysOf = records.Select(r =>
        {
            Span<ulong> keys = stackalloc ulong[BlockingKeys.MaxPerRecord];
            return keys[..BlockingKeys.Of(r, keys)].ToArray().ToHashSet();
        }).ToList();
        var blockSize = keysOf.SelectMany(k => k).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var expected = new List<(int, int)>();
        for (var a = 0; a < records.Count; a++)
        {
            for (var b = a + 1; b < records.Count; b++)
            {
                if (records[a].Source != records[b].Source && keysOf[a].Any(k => keysOf[b].Contains(k) && blockSize[k] <= CandidatePairs.MaxBlockSize))
                {
                    expected.Add((a, b));
                }
            }
        }

        Assert.Contains(blockSize.Values, size => size > CandidatePairs.MaxBlockSize);
        Assert.True(expected.Count > 1_000);
        Assert.Equal(expected, CandidatePairs.Generate(records, touchedOnly: false));
    }

    [Theory]
    [InlineData("Chidi", "Okonkwo", "99503")]
    [InlineData("Mary-Ann", "O'Brien Jr", "02139")]
    [InlineData("Li", "Wu", null)]
    [InlineData(null, "Wu", "99503")]
    public void StoredNameKeys_AreTheKeysTheRecordIsBlockedBy(string? first, string? last, string? zip)
    {
        var record = IdentityRecord.Create("EHR_SYSTEM", "P1", null, null, first, last, null, null, zip, null, null, null, touched: true, null, null, null,
            BlockingKeys.NameKeysOf(first, last, zip));

        Assert.True(record.StoredKeysCurrent);
        Assert.Equal(new StoredNameKeys(record.FirstPhonetic, record.LastPhonetic, BlockingKeys.ZipNameKey(record)), BlockingKeys.NameKeysOf(first, last, zip));
        Assert.Equal(zip is null || first is null ? null : $"{zip[..3]}|", BlockingKeys.NameKeysOf(first, last, zip).ZipNameKey?[..4]);
    }

    [Fact]
    public void Clustering_KeepsOneRecordPerSource_AndRefusesAMergeThatSomePairSpeaksAgainst()
    {
        // Two EHR twins and one lab record: the lab record goes to the better twin only.
        IdentityRecord[] records = [Record("EHR_SYSTEM", "P1", "Anna", "K"), Record("EHR_SYSTEM", "P2", "Maria", "K"), Record("LAB_SYSTEM", "L1", "Maria", "K"),
            Record("ADT_SYSTEM", "A1", "Maria", "K")];
        var weights = new Dictionary<long, double>
        {
            [ScoredPair.PairKey(0, 2)] = 12, [ScoredPair.PairKey(1, 2)] = 30, [ScoredPair.PairKey(0, 3)] = 10, [ScoredPair.PairKey(1, 3)] = -5,
            [ScoredPair.PairKey(2, 3)] = 20, [ScoredPair.PairKey(0, 1)] = 0,
        };
        var clusters = new IdentityClusters(records, (a, b) => weights[ScoredPair.PairKey(a, b)], new HashSet<long>());

        // The ADT record's best link is to the lab record, but it speaks against P2, already with the lab record.
        clusters.Link([], [new ScoredPair(1, 2, 0, 30, 0.999), new ScoredPair(0, 2, 0, 12, 0.99), new ScoredPair(2, 3, 0, 20, 0.998), new ScoredPair(0, 3, 0, 10, 0.98)]);
        var resolved = clusters.Resolve();

        Assert.Equal(["P1", "P2", "P2", "P1"], resolved.Select(r => r.PatientId));
    }

    private static IdentityRecord Record(
        string source, string id, string first, string last, string? birth = "1985-01-17", string? phone = "+19078410031", string zip = "99503") =>
        IdentityRecord.Create(source, id, null, null, first, last, birth is null ? null : DateOnly.Parse(birth, System.Globalization.CultureInfo.InvariantCulture),
            "M", zip, phone, null, null, touched: true, null, null, null);
}
