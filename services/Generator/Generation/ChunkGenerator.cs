using System.Text;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// Turns a range of people into the rows every source system sends about them, in each source's conventions,
/// with the configured defects injected and labelled. Pure: the same chunk always gives the same bytes.
/// </summary>
internal sealed class ChunkGenerator
{
    /// <summary>Ids at and beyond this index belong to nobody in the population: orphans and test patients.</summary>
    public const int ReservedIndex = GenerationOptions.MaxPatients;

    private static readonly string[] GarbageDates = ["2021-02-30", "13/45/1990", "N/A", "00000000", "19xx-05-12", "unknown", "32-Jan-2020", "2020/13/01"];
    private static readonly string[] MalformedIcd10 = ["E11.", "119.E", "ZZZ", "E11.9.1", "E1199999999", "1234", "I10-", ".J45"];
    private static readonly string[] UnknownStatuses = ["PENDING_REVIEW", "UNKNOWN", "ON HOLD", "X"];
    private static readonly string[] UnknownEventTypes = ["OBSERVATION", "A08", "UNKNOWN", "PRE_ADMIT", "misc"];
    private static readonly string[] AbsurdBmi = ["0.0", "2.5", "150.0", "250.4", "-21.3"];
    private static readonly string[] TestFirstNames = ["TEST", "Test", "ZZTEST"];
    private static readonly string[] TestLastNames = ["PATIENT", "Testpatient", "DO NOT USE"];
    private static readonly byte[][] ClaimStatuses = [.. new[] { "PAID", "APPROVED", "DENIED", "SUBMITTED" }.Select(Encoding.ASCII.GetBytes)];
    private static readonly double[] ClaimStatusWeights = ReferenceTables.Cumulative([62, 14, 10, 14]);

    private readonly GenerationOptions _options;
    private readonly ReferenceTables _tables = ReferenceTables.Instance;
    private readonly DateOnly _asOf;
    private readonly DateTime _asOfTime;
    private readonly bool _adt, _lab, _claims;
    private readonly DefectTable _ehrPatient, _otherPatient, _claim, _event;
    private readonly byte[] _ehr, _adtName, _labName, _claimsName;

    public ChunkGenerator(GenerationOptions options)
    {
        _options = options;
        _asOfTime = options.AsOf.UtcDateTime;
        _asOf = DateOnly.FromDateTime(_asOfTime);
        _adt = options.Sources.Contains(SourceSystems.Adt);
        _lab = options.Sources.Contains(SourceSystems.Lab);
        _claims = options.Sources.Contains(SourceSystems.Claims);
        var d = options.Defects;
        _ehrPatient = new DefectTable(d, Defect.MissingRequiredField, Defect.UnparseableDate, Defect.FutureDate, Defect.OutOfRangeAge, Defect.OutOfRangeBmi, Defect.ExactDuplicate, Defect.CorrectedResend);
        _otherPatient = new DefectTable(d, Defect.MissingRequiredField, Defect.UnparseableDate, Defect.FutureDate, Defect.OutOfRangeAge, Defect.ExactDuplicate);
        _claim = new DefectTable(d, Defect.MissingRequiredField, Defect.UnparseableDate, Defect.FutureDate, Defect.InvalidClaimAmount, Defect.MalformedIcd10,
            Defect.UnknownClaimStatus, Defect.OrphanReference, Defect.ExactDuplicate, Defect.CorrectedResend);
        _event = new DefectTable(d, Defect.MissingRequiredField, Defect.UnparseableDate, Defect.FutureDate, Defect.UnknownEventType, Defect.OrphanReference,
            Defect.ExactDuplicate, Defect.CorrectedResend);
        _ehr = Encoding.ASCII.GetBytes(SourceSystems.Ehr);
        _adtName = Encoding.ASCII.GetBytes(SourceSystems.Adt);
        _labName = Encoding.ASCII.GetBytes(SourceSystems.Lab);
        _claimsName = Encoding.ASCII.GetBytes(SourceSystems.Claims);
    }

    public static string EhrId(int index) => $"P{index + 1:D8}";

    public static string AdtId(int index) => $"A{AdtNumber(index):D8}";

    public static string LabId(int index) => $"L{LabNumber(index):D8}";

    // Bijections of 0..10^8 (the multipliers are coprime with 10^8): distinct people never share a local id.
    private static long AdtNumber(int index) => ((index * 7_919_113L) + 12_345_678) % 100_000_000;

    private static long LabNumber(int index) => ((index * 3_141_593L) + 27_182_818) % 100_000_000;

    private static long MrnNumber(int index) => ((index * 48_271L) + 9_176_543) % 100_000_000;

    private static int OrphanIndex(int index) => ReservedIndex + (2 * index);

    private static int TestIndex(int index) => ReservedIndex + (2 * index) + 1;

    /// <summary>The people <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
    public void FillPopulation(Chunk chunk, int first, int count)
    {
        for (var index = first; index < first + count; index++)
        {
            var person = Person.Create(_options.Seed, index, _asOf, _options.LookalikeRate, _tables);
            var rng = new Rng(_options.Seed, index, 2);
            EhrPatient(chunk, person, ref rng);
            Identity(chunk.Identities, person, _ehr, 'P', person.Index, "", null);
            if (rng.Chance(_options.Defects.TestPatient))
            {
                TestPatient(chunk, person, ref rng);
            }

            var inAdt = _adt && rng.Chance(_options.AdtShare);
            var inLab = _lab && rng.Chance(_options.LabShare);
            if (inAdt)
            {
                OtherPatient(chunk, StreamId.PatientsAdt, person, ref rng);
            }

            if (inLab)
            {
                OtherPatient(chunk, StreamId.PatientsLab, person, ref rng);
            }

            var events = new Rng(_options.Seed, index, 3);
            if (_claims)
            {
                Claims(chunk, person, ref events);
            }

            if (inAdt)
            {
                Encounters(chunk, person, ref events);
            }

            if (inLab)
            {
                LabResults(chunk, person, ref events);
            }

            Notes(chunk, person, ref events);
        }
    }

    /// <summary>
    /// Updates of existing people for an increment: an address move or a plan change, resent by the EHR with
    /// the run's time, so that the patient dimension downstream gets a new version.
    /// </summary>
    public void FillUpdates(Chunk chunk, int firstUpdate, int count)
    {
        var population = _options.PatientOffset;
        var total = _options.UpdatedPatients;
        for (var u = firstUpdate; u < firstUpdate + count; u++)
        {
            var rng = new Rng(_options.Seed, u, 4UL ^ (ulong)_asOfTime.Ticks);

            // Spread over the population, distinct: the u-th of `total` equal slices, somewhere inside it.
            var from = (int)((long)u * population / total);
            var to = (int)((long)(u + 1) * population / total);
            var index = from + rng.Next(Math.Max(1, to - from));
            var person = Person.Create(_options.Seed, index, _asOf, _options.LookalikeRate, _tables);
            person.UpdatedAt = _asOfTime.AddMinutes(-rng.Between(1, 50));
            var buffer = chunk.Streams[(int)StreamId.PatientsEhr];
            string label;
            if (rng.Chance(0.6))
            {
                person.MoveTo(ref rng, rng.Pick(ReferenceTables.CityWeights));
                label = DefectLabels.AddressMove;
            }
            else
            {
                person.Plan = (byte)((person.Plan + 1 + rng.Next(ReferenceTables.Plans.Length - 1)) % ReferenceTables.Plans.Length);
                label = DefectLabels.PlanChange;
            }

            EhrPatientRow(buffer, person, Defect.None, ref rng, 0);
            chunk.Labels[(int)StreamId.PatientsEhr].Add(new RowLabel(buffer.Rows - 1, label, ""));
        }
    }

    private void EhrPatient(Chunk chunk, in Person person, ref Rng rng)
    {
        var buffer = chunk.Streams[(int)StreamId.PatientsEhr];
        var labels = chunk.Labels[(int)StreamId.PatientsEhr];
        var defect = _ehrPatient.Pick(ref rng);
        var detail = EhrPatientRow(buffer, person, defect, ref rng, 0);
        if (LabelRow(labels, buffer, defect, detail))
        {
            // The EHR resends the record later with a corrected phone number.
            var corrected = person;
            corrected.Phone = person.Phone - (person.Phone % 10_000) + ((person.Phone + 1 + rng.Next(9_998)) % 10_000);
            corrected.UpdatedAt = Later(person.UpdatedAt, ref rng);
            EhrPatientRow(buffer, corrected, Defect.None, ref rng, 0);
            LabelCorrection(labels, buffer, "phone");
        }
    }

    private string EhrPatientRow(CsvBuffer b, in Person p, Defect defect, ref Rng rng, int testIndex)
    {
        var missing = defect == Defect.MissingRequiredField ? rng.Next(4) : -1;
        var detail = missing switch { 0 => "first_name", 1 => "last_name", 2 => "date_of_birth", 3 => "gender", _ => "" };
        b.Id("P"u8, (testIndex > 0 ? testIndex : p.Index) + 1, 8);
        b.Id("MRN"u8, MrnNumber(testIndex > 0 ? testIndex : p.Index), 8);
        if (testIndex > 0)
        {
            b.Field(TestFirstNames[rng.Next(TestFirstNames.Length)]);
            b.Field(TestLastNames[rng.Next(TestLastNames.Length)]);
        }
        else
        {
            FieldOrEmpty(b, missing == 0, p.First(_tables).Utf8);
            if (missing == 1)
            {
                b.Empty();
            }
            else if (p.Lookalike == Lookalike.Junior)
            {
                b.BeginField();
                b.Raw(p.Last(_tables).Utf8);
                b.Raw(" Jr"u8);
            }
            else
            {
                b.Field(p.Last(_tables));
            }
        }

        detail = BirthDate(b, p, defect, missing == 2, DateStyle.Iso, ref rng) ?? detail;
        FieldOrEmpty(b, missing == 3, p.Male ? "Male"u8 : "Female"u8);
        Address(b, p);
        var town = p.Town;
        b.Field(town.Name);
        b.Field(town.State);
        b.Id(""u8, p.Zip, 5);
        b.Phone(p.Phone, PhoneStyle.Parentheses);
        Email(b, p);
        b.BeginField();
        b.Digits(p.SsnArea, 3);
        b.Byte((byte)'-');
        b.Digits(p.SsnGroup, 2);
        b.Byte((byte)'-');
        b.Digits(p.SsnSerial, 4);
        b.Id("INS"u8, p.InsuranceNumber, 10);
        b.Field(ReferenceTables.Plans[p.Plan]);
        b.Date(p.CoverageStart, DateStyle.Iso);
        if (defect == Defect.OutOfRangeBmi)
        {
            b.Field(AbsurdBmi[rng.Next(AbsurdBmi.Length)]);
            detail = "bmi";
        }
        else
        {
            b.Field(p.Bmi, 1);
        }

        b.Field(p.Smoker ? "yes"u8 : "no"u8);
        b.Field(p.Children);
        b.Field(p.Charges, 2);
        b.Field(_ehr);
        b.DateTime(p.UpdatedAt, DateTimeStyle.Iso8601);
        b.EndRow();
        return detail;
    }

    private void TestPatient(Chunk chunk, in Person person, ref Rng rng)
    {
        var buffer = chunk.Streams[(int)StreamId.PatientsEhr];
        var index = TestIndex(person.Index);
        EhrPatientRow(buffer, person, Defect.None, ref rng, index);
        chunk.Labels[(int)StreamId.PatientsEhr].Add(new RowLabel(buffer.Rows - 1, DefectLabels.TestPatient, ""));
        Identity(chunk.Identities, person, _ehr, 'P', index, DefectLabels.TestPatient, index);
    }

    /// <summary>The same person as registered by the ADT or the lab: its own id and conventions, maybe a variation.</summary>
    private void OtherPatient(Chunk chunk, StreamId stream, in Person source, ref Rng rng)
    {
        var adt = stream == StreamId.PatientsAdt;
        var b = chunk.Streams[(int)stream];
        var labels = chunk.Labels[(int)stream];
        var p = source;
        var variation = "";
        var firstName = p.First(_tables).Utf8;
        var lastName = p.Last(_tables).Utf8;
        Span<byte> typo = stackalloc byte[64];
        var swapped = false;
        var noDob = false;
        var noPhone = false;
        if (rng.Chance(_options.VariationRate))
        {
            switch (rng.Next(8))
            {
                case 0 when _tables.Nickname.TryGetValue(p.First(_tables), out var nickname):
                    firstName = nickname.Utf8;
                    variation = "nickname";
                    break;
                case 0 or 1 or 7:
                    lastName = Typo(lastName, typo, ref rng);
                    variation = "typo";
                    break;
                case 2:
                    swapped = true;
                    variation = "swapped_names";
                    break;
                case 3:
                    noDob = true;
                    variation = "missing_dob";
                    break;
                case 4:
                    noPhone = true;
                    variation = "missing_phone";
                    break;
                case 5:
                    p.MoveTo(ref rng, rng.Chance(0.7) ? p.City : rng.Pick(ReferenceTables.CityWeights));
                    variation = "moved_address";
                    break;
                case 6 when !p.Male:
                    lastName = _tables.Last[(p.LastName + 1 + rng.Next(_tables.Last.Length - 1)) % _tables.Last.Length].Utf8;
                    variation = "maiden_name";
                    break;
                default:
                    lastName = Typo(lastName, typo, ref rng);
                    variation = "typo";
                    break;
            }
        }

        var defect = _otherPatient.Pick(ref rng);
        var missing = defect == Defect.MissingRequiredField ? rng.Next(4) : -1;
        if (noDob)
        {
            // A missing birth date is missing, whatever the reason: labelled so that counts downstream agree.
            defect = Defect.MissingRequiredField;
            missing = 2;
        }

        var detail = missing switch { 0 => "first_name", 1 => "last_name", 2 => "date_of_birth", 3 => "gender", _ => "" };
        if (adt)
        {
            b.Id("A"u8, AdtNumber(p.Index), 8);
            if (rng.Chance(0.8))
            {
                b.Id("MRN"u8, MrnNumber(p.Index), 8);
            }
            else
            {
                b.Empty();
            }

            FieldOrEmpty(b, missing == 1, swapped ? firstName : lastName);
            FieldOrEmpty(b, missing == 0, swapped ? lastName : firstName);
        }
        else
        {
            b.Id("L"u8, LabNumber(p.Index), 8);
            FieldOrEmpty(b, missing == 0, swapped ? lastName : firstName);
            FieldOrEmpty(b, missing == 1, swapped ? firstName : lastName);
        }

        detail = BirthDate(b, p, defect, missing == 2, adt ? DateStyle.Us : DateStyle.Compact, ref rng) ?? detail;

        if (missing == 3)
        {
            b.Empty();
        }
        else if (adt)
        {
            b.Field(rng.Chance(0.02) ? "U"u8 : p.Male ? "M"u8 : "F"u8);
        }
        else
        {
            b.Field(p.Male ? "male"u8 : "female"u8);
        }

        if (adt)
        {
            Address(b, p);
            b.Field(p.Town.Name);
            b.Field(p.Town.State);
            b.Id(""u8, p.Zip, 5);
            PhoneOrEmpty(b, noPhone, p.Phone, PhoneStyle.Dashes);
            b.Id("INS"u8, p.InsuranceNumber, 10);
            b.Field(ReferenceTables.Plans[p.Plan]);
            b.Field(_adtName);
            b.DateTime(p.UpdatedAt, DateTimeStyle.IsoSpace);
        }
        else
        {
            PhoneOrEmpty(b, noPhone, p.Phone, PhoneStyle.DigitsOnly);
            b.Id(""u8, p.Zip, 5);
            b.Field(_labName);
            b.DateTime(p.UpdatedAt, DateTimeStyle.Compact);
        }

        b.EndRow();
        LabelRow(labels, b, defect, detail); // no corrected resends from ADT and LAB registrations

        Identity(chunk.Identities, source, adt ? _adtName : _labName, adt ? 'A' : 'L', p.Index, variation, null);
    }

    private void Claims(Chunk chunk, in Person p, ref Rng rng)
    {
        var b = chunk.Streams[(int)StreamId.Claims];
        var labels = chunk.Labels[(int)StreamId.Claims];
        var count = 1 + rng.Poisson(2.0);
        var from = Max(p.CoverageStart, _asOf.AddYears(-3));
        var days = Math.Max(1, _asOf.DayNumber - from.DayNumber);
        for (var j = 0; j < count; j++)
        {
            var date = from.AddDays(rng.Next(days));
            var tier = rng.NextDouble();
            var amount = tier < 0.85 ? rng.LogNormal(5.2, 0.95) : tier < 0.97 ? rng.LogNormal(7.3, 0.8) : rng.LogNormal(9.8, 0.9);
            amount = Math.Round(Math.Clamp(amount * (p.Smoker ? 1.25 : 1.0), 12, 950_000), 2);
            var diagnosis = rng.Chance(0.7) ? ReferenceTables.CommonIcd10[rng.Next(ReferenceTables.CommonIcd10.Length)] : _tables.Icd10Billable[rng.Next(_tables.Icd10Billable.Length)];
            var procedure = ReferenceTables.Procedures[rng.Pick(ReferenceTables.ProcedureWeights)];
            var status = _asOf.DayNumber - date.DayNumber < 30 && rng.Chance(0.6) ? 3 : rng.Pick(ClaimStatusWeights);
            var defect = _claim.Pick(ref rng);
            if (defect == Defect.CorrectedResend)
            {
                status = 3;
            }

            var detail = ClaimRow(b, p.Index, j, date, amount, diagnosis, procedure, ClaimStatuses[status], defect, ref rng);
            if (LabelRow(labels, b, defect, detail))
            {
                var paid = rng.Chance(0.5);
                ClaimRow(b, p.Index, j, date, paid ? amount : Math.Round(amount * 0.9, 2), diagnosis, procedure, ClaimStatuses[paid ? 0 : 1], Defect.None, ref rng);
                LabelCorrection(labels, b, paid ? "claim_status" : "claim_amount");
            }
        }
    }

    private string ClaimRow(CsvBuffer b, int index, int number, DateOnly date, double amount, Text diagnosis, Text procedure, byte[] status, Defect defect, ref Rng rng)
    {
        var missing = defect == Defect.MissingRequiredField ? rng.Next(4) : -1;
        var detail = missing switch { 0 => "patient_id", 1 => "claim_date", 2 => "claim_amount", 3 => "diagnosis_code", _ => "" };
        b.BeginField();
        b.Raw("C"u8);
        b.Digits(index + 1, 8);
        b.Digits(number, 2);
        if (missing == 0)
        {
            b.Empty();
        }
        else
        {
            b.Id("P"u8, (defect == Defect.OrphanReference ? OrphanIndex(index) : index) + 1, 8);
        }

        detail = EventDate(b, date.ToDateTime(TimeOnly.MinValue), defect, missing == 1, d => d.Date(DateOnly.FromDateTime(d.Value), DateStyle.DayMonthName), ref rng, "claim_date") ?? detail;
        if (missing == 2)
        {
            b.Empty();
        }
        else if (defect == Defect.InvalidClaimAmount)
        {
            b.Field(rng.Chance(0.5) ? -amount : rng.Chance(0.5) ? 9_999_999.99 : 48_250_000 + rng.Next(1_000_000), 2);
        }
        else
        {
            b.Field(amount, 2);
        }

        if (missing == 3)
        {
            b.Empty();
        }
        else if (defect == Defect.MalformedIcd10)
        {
            b.Field(MalformedIcd10[rng.Next(MalformedIcd10.Length)]);
        }
        else
        {
            b.Field(diagnosis);
        }

        b.Field(procedure);
        if (defect == Defect.UnknownClaimStatus)
        {
            b.Field(UnknownStatuses[rng.Next(UnknownStatuses.Length)]);
        }
        else
        {
            b.Field(status);
        }

        b.Field(_claimsName);
        b.EndRow();
        return detail;
    }

    private void Encounters(Chunk chunk, in Person p, ref Rng rng)
    {
        var b = chunk.Streams[(int)StreamId.EventsAdt];
        var labels = chunk.Labels[(int)StreamId.EventsAdt];
        var encounters = rng.Poisson(1.0);
        var (from, seconds) = EventWindow(p, 86_400);
        var eventNumber = 0;
        for (var e = 0; e < encounters; e++)
        {
            var admitted = from.AddSeconds(rng.Next(seconds));
            var stay = TimeSpan.FromHours(Math.Max(2, rng.LogNormal(Math.Log(3 * 24), 0.8)));
            var unit = rng.Chance(0.45) ? 0 : rng.Next(ReferenceTables.CareUnits.Length);
            var provider = rng.Next(_tables.Providers.Length);
            AdtEvent(b, labels, p.Index, e, eventNumber++, "ADMISSION"u8, admitted, unit, provider, ref rng);
            var transfers = rng.Poisson(0.4);
            for (var t = 1; t <= transfers; t++)
            {
                var at = admitted + (stay * t / (transfers + 1));
                if (at >= _asOfTime)
                {
                    break;
                }

                unit = (unit + 1 + rng.Next(ReferenceTables.CareUnits.Length - 1)) % ReferenceTables.CareUnits.Length;
                AdtEvent(b, labels, p.Index, e, eventNumber++, "TRANSFER"u8, at, unit, provider, ref rng);
            }

            // Still in hospital at the run's time: no discharge yet.
            if (admitted + stay < _asOfTime)
            {
                AdtEvent(b, labels, p.Index, e, eventNumber++, "DISCHARGE"u8, admitted + stay, unit, provider, ref rng);
            }
        }
    }

    private void AdtEvent(CsvBuffer b, List<RowLabel> labels, int index, int encounter, int number, ReadOnlySpan<byte> type, DateTime at, int unit, int provider, ref Rng rng)
    {
        var defect = _event.Pick(ref rng);
        var detail = AdtEventRow(b, index, encounter, number, type, at, unit, provider, defect, ref rng);
        if (LabelRow(labels, b, defect, detail))
        {
            AdtEventRow(b, index, encounter, number, type, at, (unit + 1) % ReferenceTables.CareUnits.Length, provider, Defect.None, ref rng);
            LabelCorrection(labels, b, "care_unit");
        }
    }

    private string AdtEventRow(CsvBuffer b, int index, int encounter, int number, ReadOnlySpan<byte> type, DateTime at, int unit, int provider, Defect defect, ref Rng rng)
    {
        var missing = defect == Defect.MissingRequiredField ? rng.Next(3) : -1;
        var detail = missing switch { 0 => "patient_id", 1 => "event_type", 2 => "event_date", _ => "" };
        b.BeginField();
        b.Raw("EVA"u8);
        b.Digits(index + 1, 8);
        b.Digits(number, 3);
        PatientRef(b, missing == 0, defect, "A"u8, AdtNumber(index), AdtNumber(OrphanIndex(index)));
        b.BeginField();
        b.Raw("ENC"u8);
        b.Digits(index + 1, 8);
        b.Digits(encounter, 2);
        EventType(b, missing == 1, defect, type, ref rng);
        detail = EventDate(b, at, defect, missing == 2, d => d.DateTime(d.Value, DateTimeStyle.IsoSpace), ref rng, "event_date") ?? detail;
        b.Field(ReferenceTables.CareUnits[unit]);
        b.Field(_tables.Providers[provider]);
        b.Field(_adtName);
        b.EndRow();
        return detail;
    }

    private void LabResults(Chunk chunk, in Person p, ref Rng rng)
    {
        var b = chunk.Streams[(int)StreamId.EventsLab];
        var labels = chunk.Labels[(int)StreamId.EventsLab];
        var count = rng.Poisson(4.0);
        var (from, seconds) = EventWindow(p, 3600);
        var provider = rng.Next(_tables.Providers.Length);
        for (var k = 0; k < count; k++)
        {
            var test = ReferenceTables.LabTests[rng.Next(ReferenceTables.LabTests.Length)];
            var value = test.Code == "39156-5"
                ? p.Bmi + rng.Normal(0, 0.4)
                : Math.Clamp(rng.Normal((test.Low + test.High) / 2, (test.High - test.Low) / 5), test.Low * 0.8, test.High * 1.2);
            var at = from.AddSeconds(rng.Next(seconds));
            var defect = _event.Pick(ref rng);
            var detail = LabRow(b, p.Index, k, test, value, at, provider, defect, ref rng);
            if (LabelRow(labels, b, defect, detail))
            {
                // Corrected by a few units of the last decimal shown, so that the resent row really differs.
                var correction = rng.Between(1, 5) * Math.Pow(10, -test.Decimals) * (rng.Chance(0.5) ? 1 : -1);
                LabRow(b, p.Index, k, test, Math.Round(value, test.Decimals) + correction, at, provider, Defect.None, ref rng);
                LabelCorrection(labels, b, "lab_value");
            }
        }
    }

    private string LabRow(CsvBuffer b, int index, int number, LabTest test, double value, DateTime at, int provider, Defect defect, ref Rng rng)
    {
        var missing = defect == Defect.MissingRequiredField ? rng.Next(3) : -1;
        var detail = missing switch { 0 => "patient_id", 1 => "event_type", 2 => "event_date", _ => "" };
        b.BeginField();
        b.Raw("EVL"u8);
        b.Digits(index + 1, 8);
        b.Digits(number, 3);
        PatientRef(b, missing == 0, defect, "L"u8, LabNumber(index), LabNumber(OrphanIndex(index)));
        EventType(b, missing == 1, defect, test.IsVital ? "VITAL_SIGNS"u8 : "LAB_RESULT"u8, ref rng);
        detail = EventDate(b, at, defect, missing == 2, d => d.DateTime(d.Value, DateTimeStyle.Compact), ref rng, "event_date") ?? detail;
        b.Field(test.CodeUtf8);
        b.Field(value, test.Decimals);
        b.Field(test.UnitUtf8);
        b.Field(_tables.Providers[provider]);
        b.Field(_labName);
        b.EndRow();
        return detail;
    }

    private void Notes(Chunk chunk, in Person p, ref Rng rng)
    {
        var b = chunk.Streams[(int)StreamId.EventsEhr];
        var labels = chunk.Labels[(int)StreamId.EventsEhr];
        var count = rng.Poisson(1.0);
        var (from, seconds) = EventWindow(p, 3600);
        for (var k = 0; k < count; k++)
        {
            var at = from.AddSeconds(rng.Next(seconds));
            var provider = rng.Next(_tables.Providers.Length);
            var defect = _event.Pick(ref rng);
            var detail = NoteRow(b, p.Index, k, at, provider, defect, ref rng);
            if (LabelRow(labels, b, defect, detail))
            {
                NoteRow(b, p.Index, k, at, (provider + 1) % _tables.Providers.Length, Defect.None, ref rng);
                LabelCorrection(labels, b, "medical_provider");
            }
        }
    }

    private string NoteRow(CsvBuffer b, int index, int number, DateTime at, int provider, Defect defect, ref Rng rng)
    {
        var missing = defect == Defect.MissingRequiredField ? rng.Next(3) : -1;
        var detail = missing switch { 0 => "patient_id", 1 => "event_type", 2 => "event_date", _ => "" };
        b.BeginField();
        b.Raw("EVN"u8);
        b.Digits(index + 1, 8);
        b.Digits(number, 3);
        PatientRef(b, missing == 0, defect, "P"u8, index + 1, OrphanIndex(index) + 1);
        EventType(b, missing == 1, defect, "clinical_note"u8, ref rng);
        detail = EventDate(b, at, defect, missing == 2, d => d.DateTime(d.Value, DateTimeStyle.Iso8601), ref rng, "event_date") ?? detail;
        b.Field(_tables.Providers[provider]);
        b.Field(_ehr);
        b.EndRow();
        return detail;
    }

    private static void PatientRef(CsvBuffer b, bool missing, Defect defect, ReadOnlySpan<byte> prefix, long id, long orphanId)
    {
        if (missing)
        {
            b.Empty();
        }
        else
        {
            b.Id(prefix, defect == Defect.OrphanReference ? orphanId : id, 8);
        }
    }

    private static void EventType(CsvBuffer b, bool missing, Defect defect, ReadOnlySpan<byte> type, ref Rng rng)
    {
        if (missing)
        {
            b.Empty();
        }
        else if (defect == Defect.UnknownEventType)
        {
            b.Field(UnknownEventTypes[rng.Next(UnknownEventTypes.Length)]);
        }
        else
        {
            b.Field(type);
        }
    }

    private readonly record struct Moment(CsvBuffer Buffer, DateTime Value)
    {
        public void Date(DateOnly date, DateStyle style) => Buffer.Date(date, style);

        public void DateTime(DateTime value, DateTimeStyle style) => Buffer.DateTime(value, style);
    }

    /// <summary>A date field: as the source writes it, or the injected date defect; returns the field's name when defective.</summary>
    private string? EventDate(CsvBuffer b, DateTime value, Defect defect, bool missing, Action<Moment> write, ref Rng rng, string field)
    {
        if (missing)
        {
            b.Empty();
            return null;
        }

        switch (defect)
        {
            case Defect.UnparseableDate:
                b.Field(GarbageDates[rng.Next(GarbageDates.Length)]);
                return field;
            case Defect.FutureDate:
                write(new Moment(b, _asOfTime.AddDays(rng.Between(2, 400))));
                return field;
            default:
                write(new Moment(b, value));
                return null;
        }
    }

    private string? BirthDate(CsvBuffer b, in Person p, Defect defect, bool missing, DateStyle style, ref Rng rng)
    {
        if (missing)
        {
            b.Empty();
            return null;
        }

        switch (defect)
        {
            case Defect.UnparseableDate:
                b.Field(GarbageDates[rng.Next(GarbageDates.Length)]);
                return "date_of_birth";
            case Defect.FutureDate:
                b.Date(_asOf.AddDays(rng.Between(2, 3000)), style);
                return "date_of_birth";
            case Defect.OutOfRangeAge:
                b.Date(new DateOnly(rng.Between(1850, 1895), rng.Between(1, 12), rng.Between(1, 28)), style);
                return "date_of_birth";
            default:
                b.Date(p.DateOfBirth, style);
                return null;
        }
    }

    private static void Address(CsvBuffer b, in Person p)
    {
        Span<byte> line = stackalloc byte[128];
        var length = 0;
        Append(line, ref length, p.StreetNumber);
        line[length++] = (byte)' ';
        Append(line, ref length, ReferenceTables.Instance.Streets[p.Street].Utf8);
        if (p.Apartment > 0)
        {
            line[length++] = (byte)',';
            line[length++] = (byte)' ';
            Append(line, ref length, ReferenceTables.AptPrefixes[p.AptPrefix].Utf8);
            Append(line, ref length, p.Apartment);
        }

        b.Field(line[..length]);
    }

    private void Email(CsvBuffer b, in Person p)
    {
        b.BeginField();
        b.Raw(p.First(_tables).Lower);
        b.Byte((byte)'.');
        b.Raw(p.Last(_tables).Lower);
        b.Digits(p.Index % 100, 1);
        b.Byte((byte)'@');
        b.Raw(ReferenceTables.EmailDomains[p.EmailDomain].Lower);
    }

    private static void Identity(CsvBuffer b, in Person p, byte[] source, char prefix, int localIndex, string variation, int? personIndex)
    {
        b.Field((personIndex ?? p.Index) + 1);
        b.Field(source);
        var local = prefix switch { 'A' => AdtNumber(localIndex), 'L' => LabNumber(localIndex), _ => localIndex + 1 };
        b.Id(prefix == 'A' ? "A"u8 : prefix == 'L' ? "L"u8 : "P"u8, local, 8);
        b.Field(variation);
        if (personIndex is null && p.Lookalike != Lookalike.None)
        {
            b.Field(p.Lookalike switch { Lookalike.Twin => "twin"u8, Lookalike.Namesake => "namesake"u8, _ => "junior"u8 });
            b.Field(p.LookalikeOf + 1);
        }
        else
        {
            b.Empty();
            b.Empty();
        }

        b.EndRow();
    }

    /// <summary>
    /// When a person's events can happen: from coverage start (at most three years back) until
    /// <paramref name="margin"/> seconds before the run's as-of time, as a start and a length in seconds.
    /// </summary>
    private (DateTime From, int Seconds) EventWindow(in Person p, int margin)
    {
        var from = Max(p.CoverageStart, _asOf.AddYears(-3)).ToDateTime(TimeOnly.MinValue);
        return (from, Math.Max(3600, (int)Math.Min(int.MaxValue, (_asOfTime - from).TotalSeconds) - margin));
    }

    /// <summary>
    /// Labels the row just written with its defect; an exact duplicate is written again at once. Returns true
    /// for a corrected resend: the row is then labelled superseded, and the caller writes the corrected row and
    /// labels it with <see cref="LabelCorrection"/>.
    /// </summary>
    private static bool LabelRow(List<RowLabel> labels, CsvBuffer b, Defect defect, string detail)
    {
        switch (defect)
        {
            case Defect.None:
                return false;
            case Defect.ExactDuplicate:
                b.CopyRow(b.Rows - 1);
                labels.Add(new RowLabel(b.Rows - 1, DefectLabels.ExactDuplicate, ""));
                return false;
            case Defect.CorrectedResend:
                labels.Add(new RowLabel(b.Rows - 1, DefectLabels.Superseded, ""));
                return true;
            default:
                labels.Add(new RowLabel(b.Rows - 1, DefectLabels.Of(defect), detail));
                return false;
        }
    }

    private static void LabelCorrection(List<RowLabel> labels, CsvBuffer b, string correctedColumn) =>
        labels.Add(new RowLabel(b.Rows - 1, DefectLabels.CorrectedResend, correctedColumn));

    private static void FieldOrEmpty(CsvBuffer b, bool empty, ReadOnlySpan<byte> value)
    {
        if (empty)
        {
            b.Empty();
        }
        else
        {
            b.Field(value);
        }
    }

    private static void PhoneOrEmpty(CsvBuffer b, bool empty, long phone, PhoneStyle style)
    {
        if (empty)
        {
            b.Empty();
        }
        else
        {
            b.Phone(phone, style);
        }
    }

    private static byte[] Typo(byte[] name, Span<byte> into, ref Rng rng)
    {
        var length = Math.Min(name.Length, into.Length);
        name.AsSpan(0, length).CopyTo(into);
        if (length >= 3)
        {
            var at = rng.Between(1, length - 2);
            if (rng.Chance(0.5))
            {
                (into[at], into[at + 1]) = (into[at + 1], into[at]);
            }
            else
            {
                into[(at + 1)..length].CopyTo(into[at..]);
                length--;
            }
        }

        return into[..length].ToArray();
    }

    private static void Append(Span<byte> line, ref int length, ReadOnlySpan<byte> value)
    {
        var n = Math.Min(value.Length, line.Length - length - 16);
        value[..n].CopyTo(line[length..]);
        length += n;
    }

    private static void Append(Span<byte> line, ref int length, int value)
    {
        value.TryFormat(line[length..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        length += written;
    }

    private DateTime Later(DateTime value, ref Rng rng)
    {
        var later = value.AddHours(rng.Between(1, 240));
        return later < _asOfTime ? later : _asOfTime.AddMinutes(-1);
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

/// <summary>The defects that apply to one kind of row, as cumulative thresholds on one uniform draw.</summary>
internal sealed class DefectTable
{
    private readonly Defect[] _defects;
    private readonly double[] _thresholds;

    public DefectTable(DefectRates rates, params Defect[] defects)
    {
        _defects = defects;
        _thresholds = new double[defects.Length];
        var sum = 0.0;
        for (var i = 0; i < defects.Length; i++)
        {
            sum += rates.Rate(defects[i]);
            _thresholds[i] = sum;
        }
    }

    public Defect Pick(ref Rng rng)
    {
        var u = rng.NextDouble();
        for (var i = 0; i < _thresholds.Length; i++)
        {
            if (u < _thresholds[i])
            {
                return _defects[i];
            }
        }

        return Defect.None;
    }
}
