using HealthMedallion.Refinement.Identity.Comparison;
using HealthMedallion.Refinement.Identity.Records;

namespace HealthMedallion.Refinement.Identity.Blocking;

/// <summary>
/// The strict keys under which records meet as candidate pairs: two records are compared only when they share one.
/// Each key is hashed to 64 bits with its kind, so that equal values of different kinds never meet.
/// <list type="bullet">
/// <item>SSN hash; MRN; e-mail: one identifier in common;</item>
/// <item>phone + the initial of either name: a household's or a recycled number is shared by different people far more
/// often than an MRN, and their names rarely start alike;</item>
/// <item>date of birth + the phonetic code of either name: a typo or a maiden name in the other name, or the two
/// names swapped, still meet;</item>
/// <item>ZIP3 + the phonetic codes of both names (in either order): a missing or mistyped date of birth still meets. (A
/// first initial instead of the given name's code makes blocks of common names too large in a big population.)</item>
/// </list>
/// </summary>
public static class BlockingKeys
{
    public const int MaxPerRecord = 8;

    private enum Kind : byte { Ssn = 1, Mrn, Phone, Email, BirthDateName, ZipName }

    /// <summary>Writes the record's keys into <paramref name="keys"/> and returns how many.</summary>
    public static int Of(IdentityRecord record, Span<ulong> keys)
    {
        var count = 0;
        Add(keys, ref count, Kind.Ssn, record.SsnHash);
        Add(keys, ref count, Kind.Mrn, record.Mrn);
        var firstInitial = record.FirstName is { Length: > 0 } first ? first[..1] : null;
        var lastInitial = record.LastName is { Length: > 0 } last ? last[..1] : null;
        Add(keys, ref count, Kind.Phone, record.Phone, firstInitial);
        if (lastInitial != firstInitial)
        {
            Add(keys, ref count, Kind.Phone, record.Phone, lastInitial);
        }

        Add(keys, ref count, Kind.Email, record.Email);
        if (record.BirthDate is { } birth)
        {
            var day = birth.DayNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Add(keys, ref count, Kind.BirthDateName, day, record.FirstPhonetic);
            if (record.LastPhonetic != record.FirstPhonetic)
            {
                Add(keys, ref count, Kind.BirthDateName, day, record.LastPhonetic);
            }
        }

        if (ZipNameKey(record) is { } zipName)
        {
            Add(keys, ref count, Kind.ZipName, zipName);
        }

        return count;
    }

    /// <summary>The ZIP3 + names key (codes in sorted order, so that swapped names meet), as also stored in <c>pii.patient_records</c>.</summary>
    public static string? ZipNameKey(IdentityRecord record) => ZipNameKey(record.Zip, record.FirstPhonetic, record.LastPhonetic);

    private static string? ZipNameKey(string? zip, string? firstPhonetic, string? lastPhonetic)
    {
        if (zip is not { Length: >= 3 } || lastPhonetic is null || firstPhonetic is null)
        {
            return null;
        }

        var (low, high) = string.CompareOrdinal(firstPhonetic, lastPhonetic) <= 0 ? (firstPhonetic, lastPhonetic) : (lastPhonetic, firstPhonetic);
        return $"{zip[..3]}|{low}|{high}";
    }

    /// <summary>
    /// The name keys of a source record as refinement stores them with its identifiers (<c>pii.patient_records</c>), so that
    /// incremental resolution finds a new record's candidates through an index: computed from the stored first name,
    /// last name and ZIP exactly as <see cref="IdentityRecord"/> computes them.
    /// </summary>
    public static StoredNameKeys NameKeysOf(string? firstName, string? lastName, string? zipCode)
    {
        var first = NameForms.Phonetic(NameForms.Letters(firstName));
        var last = NameForms.Phonetic(NameForms.FamilyAndSuffix(lastName).Family);
        return new StoredNameKeys(first, last, ZipNameKey(IdentityRecord.ZipForm(zipCode), first, last));
    }

    private static void Add(Span<ulong> keys, ref int count, Kind kind, string? a, string? b = "", string? c = "")
    {
        if (a is null || b is null || c is null)
        {
            return;
        }

        var hash = Fnv(Fnv(Fnv(14_695_981_039_346_656_037UL ^ (byte)kind, a), b), c);
        keys[count++] = hash;
    }

    private static ulong Fnv(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1_099_511_628_211UL;
        }

        return (hash ^ '|') * 1_099_511_628_211UL;
    }
}

/// <summary>The phonetic codes of both names and the ZIP3 + names key of a source record (each null when a part is missing).</summary>
public readonly record struct StoredNameKeys(string? FirstPhonetic, string? LastPhonetic, string? ZipNameKey);
