namespace HealthMedallion.Generator.Generation;

internal enum Lookalike : byte { None, Twin, Namesake, Junior }

/// <summary>
/// One synthetic person as the EHR knows them: a pure function of (seed, index, as-of), so any person can be
/// regenerated on its own (by a later increment run, or to build a look-alike of the previous person).
/// </summary>
internal struct Person
{
    public int Index;
    public bool Male;
    public short FirstName;
    public short LastName;
    public DateOnly DateOfBirth;
    public int Age;
    public byte City;
    public int Zip;
    public int StreetNumber;
    public short Street;
    public short Apartment;
    public byte AptPrefix;
    public long Phone;
    public int SsnArea;
    public int SsnGroup;
    public int SsnSerial;
    public long InsuranceNumber;
    public byte Plan;
    public DateOnly CoverageStart;
    public double Bmi;
    public bool Smoker;
    public int Children;
    public double Charges;
    public byte EmailDomain;
    public Lookalike Lookalike;
    public int LookalikeOf;
    public DateTime UpdatedAt;

    public readonly Text First(ReferenceTables tables) => Male ? tables.MaleFirst[FirstName] : tables.FemaleFirst[FirstName];

    public readonly Text Last(ReferenceTables tables) => tables.Last[LastName];

    public readonly City Town => ReferenceTables.Cities[City];

    public static Person Create(int seed, int index, DateOnly asOf, double lookalikeRate, ReferenceTables tables)
    {
        var rng = new Rng(seed, index, 1);
        var person = CreateBase(ref rng, index, asOf, tables);
        if (index > 0 && rng.Chance(lookalikeRate))
        {
            // The previous person as the files show them (a look-alike in turn, now and then).
            var model = Create(seed, index - 1, asOf, lookalikeRate, tables);
            person.ResembleTo(model, ref rng, asOf, tables);
        }

        return person;
    }

    private static Person CreateBase(ref Rng rng, int index, DateOnly asOf, ReferenceTables tables)
    {
        var p = new Person { Index = index, Male = rng.Chance(0.49) };
        p.FirstName = (short)rng.Next(p.Male ? tables.MaleFirst.Length : tables.FemaleFirst.Length);
        p.LastName = (short)rng.Next(tables.Last.Length);
        p.Age = Math.Clamp((int)Math.Round(rng.Normal(45, 15)), 18, 85);
        p.DateOfBirth = asOf.AddYears(-p.Age).AddDays(-rng.Next(365));
        p.Age = AgeAt(p.DateOfBirth, asOf);
        p.MoveTo(ref rng, rng.Pick(ReferenceTables.CityWeights));
        p.SsnArea = rng.Between(900, 999);
        p.SsnGroup = rng.Between(1, 99);
        p.SsnSerial = rng.Between(1, 9999);
        p.InsuranceNumber = ((long)rng.Between(100_000, 999_999) * 10_000) + rng.Next(10_000);
        p.EmailDomain = (byte)rng.Next(ReferenceTables.EmailDomains.Length);
        p.Bmi = Math.Round(Math.Clamp(rng.Normal(28, 6), 16, 50), 1);
        p.Smoker = rng.Chance(p.Age < 35 ? 0.24 : p.Age < 55 ? 0.2 : 0.14);
        p.Children = Math.Min(rng.Poisson(1.2), 5);
        p.Plan = (byte)(p.Age >= 65 && rng.Chance(0.7) ? ReferenceTables.Plans.Length - 1 : rng.Next(ReferenceTables.Plans.Length - 1));

        // Coverage starts at 18 at the earliest and up to twelve years back, at least three months ago.
        var earliest = Max(p.DateOfBirth.AddYears(18), asOf.AddYears(-12));
        var span = Math.Max(1, asOf.AddDays(-90).DayNumber - earliest.DayNumber);
        p.CoverageStart = Min(earliest.AddDays(rng.Next(span)), asOf.AddDays(-1));
        p.Charges = Premium(ref rng, p.Age, p.Bmi, p.Smoker, p.Children);
        var touched = rng.Next(Math.Max(1, asOf.DayNumber - p.CoverageStart.DayNumber));
        p.UpdatedAt = p.CoverageStart.AddDays(touched).ToDateTime(new TimeOnly(rng.Between(6, 20), rng.Next(60), rng.Next(60)));
        return p;
    }

    /// <summary>
    /// Yearly premium in dollars, shaped like the medical cost data set: rising steadily with age, a little
    /// with children and BMI, and far higher for smokers, above all obese smokers; a long right tail.
    /// </summary>
    public static double Premium(ref Rng rng, int age, double bmi, bool smoker, int children)
    {
        var charges = -2200 + (265 * age) + (480 * children) + (40 * (bmi - 28)) + rng.Normal(0, 1100);
        if (rng.Chance(0.08))
        {
            charges += rng.LogNormal(8.9, 0.5);
        }

        if (smoker)
        {
            charges += 19_000 + (bmi >= 30 ? 20_000 : 0) + (250 * (bmi - 28)) + rng.Normal(0, 2500);
        }

        return Math.Round(Math.Max(1121.87, charges), 2);
    }

    public void MoveTo(ref Rng rng, int city)
    {
        City = (byte)city;
        var town = ReferenceTables.Cities[city];
        Zip = rng.Between(town.ZipFrom, town.ZipTo);
        StreetNumber = rng.Between(1, 9899);
        Street = (short)rng.Next(ReferenceTables.Instance.Streets.Length);
        Apartment = (short)(rng.Chance(0.18) ? rng.Between(1, 480) : 0);
        AptPrefix = (byte)rng.Next(ReferenceTables.AptPrefixes.Length);
        Phone = (town.AreaCode * 10_000_000L) + (555 * 10_000L) + rng.Next(10_000);
    }

    private void ResembleTo(in Person model, ref Rng rng, DateOnly asOf, ReferenceTables tables)
    {
        LookalikeOf = model.Index;
        var kind = (Lookalike)rng.Between(1, 3);
        if (kind == Lookalike.Junior && (!model.Male || model.DateOfBirth.AddYears(44) > asOf))
        {
            kind = Lookalike.Namesake;
        }

        Lookalike = kind;
        switch (kind)
        {
            case Lookalike.Twin:
                // Same family name, birth date, address and phone; a different given name.
                LastName = model.LastName;
                DateOfBirth = model.DateOfBirth;
                Age = model.Age;
                CopyAddress(model);
                Phone = model.Phone;
                var pool = Male ? tables.MaleFirst.Length : tables.FemaleFirst.Length;
                if (Male == model.Male && FirstName == model.FirstName)
                {
                    FirstName = (short)((FirstName + 1) % pool);
                }

                break;
            case Lookalike.Namesake:
                // Same full name in the same city, otherwise unrelated.
                Male = model.Male;
                FirstName = model.FirstName;
                LastName = model.LastName;
                var move = rng;
                MoveTo(ref move, model.City);
                break;
            case Lookalike.Junior:
                // The son: same name (with Jr), same address, born 26-34 years later.
                Male = true;
                FirstName = model.FirstName;
                LastName = model.LastName;
                DateOfBirth = Min(model.DateOfBirth.AddYears(rng.Between(26, 34)).AddDays(rng.Next(300)), asOf.AddYears(-18));
                Age = AgeAt(DateOfBirth, asOf);
                CopyAddress(model);
                break;
        }
    }

    private void CopyAddress(in Person model)
    {
        City = model.City;
        Zip = model.Zip;
        StreetNumber = model.StreetNumber;
        Street = model.Street;
        Apartment = model.Apartment;
        AptPrefix = model.AptPrefix;
    }

    public static int AgeAt(DateOnly birth, DateOnly at)
    {
        var age = at.Year - birth.Year;
        return birth.AddYears(age) > at ? age - 1 : age;
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}
