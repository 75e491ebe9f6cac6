using System.Globalization;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Identity.Blocking;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Identity.Records;

/// <summary>
/// The records a resolution works on, read in one statement each: the touched records (<c>touched_patient_records</c>), the
/// records that share a blocking key with one of them, and every member of those records' patients. When the batch
/// is a large share of the population, the whole population is read at once instead (one sequential read beats the
/// index look-ups), which also lets the model be estimated again.
/// </summary>
public static class IdentityScope
{
    /// <summary>The columns read of a record; <c>{0}</c> is whether the record is touched.</summary>
    private const string Columns = """
        p.source_system, p.source_patient_id, p.mrn, r.ssn_hash, p.first_name, p.last_name, p.date_of_birth, r.sex::text,
        p.zip_code, p.phone, p.email, p.address_line1, {0}, m.patient_id, m.match_rule, m.match_probability,
        p.first_phonetic, p.last_phonetic, p.zip_name_key, m.linked_to, m.match_levels
        """;

    private const string Records = """
        pii.patient_records p
        JOIN silver.patient_records r USING (source_system, source_patient_id)
        LEFT JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
        """;

    private static readonly string AroundTouched = $"""
        SELECT {string.Format(CultureInfo.InvariantCulture, Columns, "t.source_patient_id IS NOT NULL")}
        FROM {Records}
        LEFT JOIN (SELECT DISTINCT source_system, source_patient_id FROM touched_patient_records) t USING (source_system, source_patient_id)
        """;

    /// <summary>
    /// Every source patient record, all touched. Hash joins only, with the memory to build them in one pass: the tables
    /// were just written, their statistics lag behind, and a nested loop chosen on a stale estimate of a few rows goes
    /// quadratic, while a hash join of a million records split into batches on disk takes several times as long.
    /// </summary>
    public static async Task<List<IdentityRecord>> ReadAllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var off = new NpgsqlCommand("SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '256MB'", connection))
        {
            await off.ExecuteNonQueryAsync(cancellationToken);
        }

        var records = await ReadAsync(connection, $"SELECT {string.Format(CultureInfo.InvariantCulture, Columns, "true")} FROM {Records}", cancellationToken);
        await using (var on = new NpgsqlCommand("RESET enable_nestloop; RESET work_mem", connection))
        {
            await on.ExecuteNonQueryAsync(cancellationToken);
        }

        return records;
    }

    public static Task<List<IdentityRecord>> ReadTouchedAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection, $"{AroundTouched} WHERE t.source_patient_id IS NOT NULL", cancellationToken);

    /// <summary>
    /// The records around the touched ones: sharing an identifier or a name key with one (<see cref="BlockingKeys"/>;
    /// the name keys stored in <c>pii.patient_records</c>), and the other members of all their patients.
    /// </summary>
    public static async Task<List<IdentityRecord>> ReadNeighboursAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS identity_scope;
            CREATE TEMP TABLE identity_scope (source_system text, source_patient_id text, PRIMARY KEY (source_system, source_patient_id)) ON COMMIT DROP;

            WITH probe AS (
                SELECT p.source_system, p.mrn, p.phone, p.email, r.ssn_hash, p.date_of_birth, p.first_phonetic, p.last_phonetic, p.zip_name_key
                FROM (SELECT DISTINCT source_system, source_patient_id FROM touched_patient_records) t
                JOIN pii.patient_records p USING (source_system, source_patient_id)
                JOIN silver.patient_records r USING (source_system, source_patient_id)
            ), around AS (
                SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.mrn = t.mrn AND o.source_system = 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.mrn = t.mrn AND o.source_system <> 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN silver.patient_records o ON o.ssn_hash = t.ssn_hash AND o.source_system = 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN silver.patient_records o ON o.ssn_hash = t.ssn_hash AND o.source_system <> 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.phone = t.phone
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.email = t.email
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.date_of_birth = t.date_of_birth
                    AND (o.first_phonetic IN (t.first_phonetic, t.last_phonetic) OR o.last_phonetic IN (t.first_phonetic, t.last_phonetic))
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.zip_name_key = t.zip_name_key
                UNION SELECT source_system, source_patient_id FROM touched_patient_records
            )
            INSERT INTO identity_scope
            SELECT source_system, source_patient_id FROM around
            UNION
            SELECT o.source_system, o.source_patient_id
            FROM around a
            JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
            JOIN silver.patient_identity_map o ON o.patient_id = m.patient_id;
            ANALYZE identity_scope;
            """, connection) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await ReadAsync(connection, $"{AroundTouched} JOIN identity_scope s USING (source_system, source_patient_id) WHERE t.source_patient_id IS NULL", cancellationToken);
    }

    /// <summary>
    /// Stores the name keys of <paramref name="records"/> where those stored with them are not current: records written
    /// before refinement stored keys, or under an older form of them. Nothing to do otherwise.
    /// </summary>
    public static async Task WriteStaleKeysAsync(NpgsqlConnection connection, IEnumerable<IdentityRecord> records, CancellationToken cancellationToken)
    {
        var stale = records.Where(r => !r.StoredKeysCurrent).ToList();
        if (stale.Count == 0)
        {
            return;
        }

        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS identity_stale_keys;
            CREATE TEMP TABLE identity_stale_keys (source_system text, source_patient_id text, first_phonetic text, last_phonetic text, zip_name_key text) ON COMMIT DROP;
            """, connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await StageImport.WriteAsync(connection,
            "COPY identity_stale_keys (source_system, source_patient_id, first_phonetic, last_phonetic, zip_name_key) FROM STDIN (FORMAT BINARY)", stale,
            (importer, record) =>
            {
                importer.Write(record.SourceSystem, NpgsqlDbType.Text);
                importer.Write(record.SourcePatientId, NpgsqlDbType.Text);
                importer.Write(record.FirstPhonetic, NpgsqlDbType.Text);
                importer.Write(record.LastPhonetic, NpgsqlDbType.Text);
                importer.Write(BlockingKeys.ZipNameKey(record), NpgsqlDbType.Text);
            }, cancellationToken);

        await using var update = new NpgsqlCommand("""
            UPDATE pii.patient_records p
            SET first_phonetic = s.first_phonetic, last_phonetic = s.last_phonetic, zip_name_key = s.zip_name_key
            FROM identity_stale_keys s
            WHERE p.source_system = s.source_system AND p.source_patient_id = s.source_patient_id;
            """, connection) { CommandTimeout = 0 };
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A row as the database gives it; turned into an <see cref="IdentityRecord"/> (name forms, phonetic codes) in parallel.</summary>
    private readonly record struct Row(
        string SourceSystem, string SourcePatientId, string? Mrn, string? SsnHash, string? FirstName, string? LastName, DateOnly? BirthDate,
        string? Sex, string? Zip, string? Phone, string? Email, string? Address, bool Touched, string? PatientId, string? MatchRule,
        decimal? MatchProbability, StoredNameKeys StoredKeys, string? LinkedTo, string? MatchLevels);

    /// <summary>
    /// Reads the rows of <paramref name="select"/> in one statement (binary result format; a data reader resolves each
    /// column's converter once per result, where the COPY exporter spent more per field than the query itself), turning
    /// them into <see cref="IdentityRecord"/>s (name forms, phonetic codes) in parallel with the read.
    /// </summary>
    private static async Task<List<IdentityRecord>> ReadAsync(NpgsqlConnection connection, string select, CancellationToken cancellationToken)
    {
        // Each full chunk of rows is turned into records on the thread pool while the next chunk is read.
        const int ChunkRows = 16_384;
        var chunks = new List<Task<IdentityRecord[]>>();
        var rows = new Row[ChunkRows];
        var count = 0;
        await using (var command = new NpgsqlCommand(select, connection) { CommandTimeout = 0 })
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateOnly? Date(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateOnly>(i);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows[count++] = new Row(
                    SourceSystem: Source(reader.GetString(0)),
                    SourcePatientId: reader.GetString(1),
                    Mrn: Text(2),
                    SsnHash: Text(3),
                    FirstName: Text(4),
                    LastName: Text(5),
                    BirthDate: Date(6),
                    Sex: Text(7),
                    Zip: Text(8),
                    Phone: Text(9),
                    Email: Text(10),
                    Address: Text(11),
                    Touched: reader.GetBoolean(12),
                    PatientId: Text(13),
                    MatchRule: Text(14),
                    MatchProbability: reader.IsDBNull(15) ? null : reader.GetDecimal(15),
                    StoredKeys: new StoredNameKeys(Text(16), Text(17), Text(18)),
                    LinkedTo: Text(19),
                    MatchLevels: Text(20));
                if (count == ChunkRows)
                {
                    chunks.Add(CreateAsync(rows, count));
                    (rows, count) = (new Row[ChunkRows], 0);
                }
            }
        }

        chunks.Add(CreateAsync(rows, count));
        var records = new List<IdentityRecord>(chunks.Count * ChunkRows);
        foreach (var chunk in await Task.WhenAll(chunks))
        {
            records.AddRange(chunk);
        }

        return records;
    }

    private static Task<IdentityRecord[]> CreateAsync(Row[] rows, int count) => Task.Run(() =>
    {
        var records = new IdentityRecord[count];
        for (var i = 0; i < count; i++)
        {
            var r = rows[i];
            records[i] = IdentityRecord.Create(r.SourceSystem, r.SourcePatientId, r.Mrn, r.SsnHash, r.FirstName, r.LastName, r.BirthDate, r.Sex, r.Zip,
                r.Phone, r.Email, r.Address, r.Touched, r.PatientId, r.MatchRule, r.MatchProbability, r.StoredKeys, r.LinkedTo, r.MatchLevels);
        }

        return records;
    });

    /// <summary>One string per source system, not one per row.</summary>
    private static string Source(string system) => system switch
    {
        PatientSources.Ehr => PatientSources.Ehr,
        PatientSources.Adt => PatientSources.Adt,
        PatientSources.Lab => PatientSources.Lab,
        _ => system,
    };
}
