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
    private const string Columns = """
        p.source_system, p.source_patient_id, p.mrn, r.ssn_hash, p.first_name, p.last_name, p.date_of_birth, r.sex::text,
        p.zip_code, p.phone, p.email, p.address_line1, t.source_patient_id IS NOT NULL, m.patient_id, m.match_rule, m.match_probability,
        k.source_patient_id IS NOT NULL, k.birth_date, k.first_phonetic, k.last_phonetic, k.zip_name_key
        """;

    private const string From = """
        pii.patient_records p
        JOIN silver.patient_records r USING (source_system, source_patient_id)
        LEFT JOIN (SELECT DISTINCT source_system, source_patient_id FROM touched_patient_records) t USING (source_system, source_patient_id)
        LEFT JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
        LEFT JOIN pii.identity_keys k USING (source_system, source_patient_id)
        """;

    /// <summary>
    /// Every source patient record. Hash joins only: the tables were just written, their statistics lag behind, and a
    /// nested loop chosen on a stale estimate of a few rows goes quadratic.
    /// </summary>
    public static async Task<List<IdentityRecord>> ReadAllAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var off = new NpgsqlCommand("SET LOCAL enable_nestloop = off", connection))
        {
            await off.ExecuteNonQueryAsync(cancellationToken);
        }

        var records = await ReadAsync(connection, $"SELECT {Columns} FROM {From}", cancellationToken);
        await using (var on = new NpgsqlCommand("RESET enable_nestloop", connection))
        {
            await on.ExecuteNonQueryAsync(cancellationToken);
        }

        return records;
    }

    public static Task<List<IdentityRecord>> ReadTouchedAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection, $"SELECT {Columns} FROM {From} WHERE t.source_patient_id IS NOT NULL", cancellationToken);

    /// <summary>
    /// The records around the touched ones: sharing an identifier or a name key with one (<see cref="BlockingKeys"/>;
    /// the touched records' keys must be in <c>pii.identity_keys</c>), and the other members of all their patients.
    /// </summary>
    public static async Task<List<IdentityRecord>> ReadNeighboursAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS identity_scope;
            CREATE TEMP TABLE identity_scope (source_system text, source_patient_id text, PRIMARY KEY (source_system, source_patient_id)) ON COMMIT DROP;

            WITH probe AS (
                SELECT p.source_system, p.mrn, p.phone, p.email, r.ssn_hash, k.birth_date, k.first_phonetic, k.last_phonetic, k.zip_name_key
                FROM (SELECT DISTINCT source_system, source_patient_id FROM touched_patient_records) t
                JOIN pii.patient_records p USING (source_system, source_patient_id)
                JOIN silver.patient_records r USING (source_system, source_patient_id)
                LEFT JOIN pii.identity_keys k USING (source_system, source_patient_id)
            ), around AS (
                SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.mrn = t.mrn AND o.source_system = 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.mrn = t.mrn AND o.source_system <> 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN silver.patient_records o ON o.ssn_hash = t.ssn_hash AND o.source_system = 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN silver.patient_records o ON o.ssn_hash = t.ssn_hash AND o.source_system <> 'EHR_SYSTEM'
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.phone = t.phone
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.patient_records o ON o.email = t.email
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.identity_keys o ON o.birth_date = t.birth_date AND o.first_phonetic = t.first_phonetic
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.identity_keys o ON o.birth_date = t.birth_date AND o.last_phonetic = t.last_phonetic
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.identity_keys o ON o.birth_date = t.birth_date AND o.first_phonetic = t.last_phonetic
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.identity_keys o ON o.birth_date = t.birth_date AND o.last_phonetic = t.first_phonetic
                UNION SELECT o.source_system, o.source_patient_id FROM probe t JOIN pii.identity_keys o ON o.zip_name_key = t.zip_name_key
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

        return await ReadAsync(connection, $"SELECT {Columns} FROM {From} JOIN identity_scope s USING (source_system, source_patient_id) WHERE t.source_patient_id IS NULL", cancellationToken);
    }

    /// <summary>
    /// Stores the name keys of <paramref name="records"/> for later look-ups, where they are not stored yet or changed:
    /// new rows by COPY straight into <c>pii.identity_keys</c>, changed ones through a staging table.
    /// </summary>
    public static async Task WriteKeysAsync(NpgsqlConnection connection, IEnumerable<IdentityRecord> records, CancellationToken cancellationToken)
    {
        var stale = records.Where(r => !r.Keys.Current).ToList();
        await CopyKeysAsync(connection, "pii.identity_keys", stale.Where(r => !r.Keys.Stored), cancellationToken);
        var changed = stale.Where(r => r.Keys.Stored).ToList();
        if (changed.Count == 0)
        {
            return;
        }

        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS identity_new_keys;
            CREATE TEMP TABLE identity_new_keys (LIKE pii.identity_keys) ON COMMIT DROP;
            """, connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await CopyKeysAsync(connection, "identity_new_keys", changed, cancellationToken);
        await using var update = new NpgsqlCommand("""
            UPDATE pii.identity_keys k
            SET birth_date = n.birth_date, first_phonetic = n.first_phonetic, last_phonetic = n.last_phonetic, zip_name_key = n.zip_name_key
            FROM identity_new_keys n
            WHERE k.source_system = n.source_system AND k.source_patient_id = n.source_patient_id;
            """, connection) { CommandTimeout = 0 };
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task CopyKeysAsync(NpgsqlConnection connection, string table, IEnumerable<IdentityRecord> records, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} (source_system, source_patient_id, birth_date, first_phonetic, last_phonetic, zip_name_key) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var record in records)
        {
            importer.StartRow();
            importer.Write(record.SourceSystem, NpgsqlDbType.Text);
            importer.Write(record.SourcePatientId, NpgsqlDbType.Text);
            WriteOrNull(importer, record.BirthDate);
            WriteOrNull(importer, record.FirstPhonetic);
            WriteOrNull(importer, record.LastPhonetic);
            WriteOrNull(importer, BlockingKeys.ZipNameKey(record));
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static void WriteOrNull(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }

    private static void WriteOrNull(NpgsqlBinaryImporter importer, DateOnly? value)
    {
        if (value is { } date)
        {
            importer.Write(date, NpgsqlDbType.Date);
        }
        else
        {
            importer.WriteNull();
        }
    }

    /// <summary>A row as the database gives it; turned into an <see cref="IdentityRecord"/> (name forms, phonetic codes) in parallel.</summary>
    private readonly record struct Row(
        string SourceSystem, string SourcePatientId, string? Mrn, string? SsnHash, string? FirstName, string? LastName, DateOnly? BirthDate,
        string? Sex, string? Zip, string? Phone, string? Email, string? Address, bool Touched, string? PatientId, string? MatchRule,
        decimal? MatchProbability, (bool, DateOnly?, string?, string?, string?) StoredKeys);

    /// <summary>
    /// Reads the rows of <paramref name="select"/> in one statement (binary result format; a data reader resolves each
    /// column's converter once per result, where the COPY exporter spent more per field than the query itself), then
    /// turns them into <see cref="IdentityRecord"/>s (name forms, phonetic codes) in parallel.
    /// </summary>
    private static async Task<List<IdentityRecord>> ReadAsync(NpgsqlConnection connection, string select, CancellationToken cancellationToken)
    {
        var rows = new List<Row>();
        await using (var command = new NpgsqlCommand(select, connection) { CommandTimeout = 0 })
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            DateOnly? Date(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateOnly>(i);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(new Row(
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
                    StoredKeys: (reader.GetBoolean(16), Date(17), Text(18), Text(19), Text(20))));
            }
        }

        var records = new IdentityRecord[rows.Count];
        Parallel.For(0, (rows.Count + 8191) / 8192, chunk =>
        {
            for (var i = chunk * 8192; i < Math.Min(rows.Count, (chunk + 1) * 8192); i++)
            {
                var r = rows[i];
                records[i] = IdentityRecord.Create(r.SourceSystem, r.SourcePatientId, r.Mrn, r.SsnHash, r.FirstName, r.LastName, r.BirthDate, r.Sex, r.Zip,
                    r.Phone, r.Email, r.Address, r.Touched, r.PatientId, r.MatchRule, r.MatchProbability, r.StoredKeys);
            }
        });
        return [.. records];
    }

    /// <summary>One string per source system, not one per row.</summary>
    private static string Source(string system) => system switch
    {
        PatientSources.Ehr => PatientSources.Ehr,
        PatientSources.Adt => PatientSources.Adt,
        PatientSources.Lab => PatientSources.Lab,
        _ => system,
    };
}
