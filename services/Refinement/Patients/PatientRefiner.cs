using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Deidentification;
using HealthMedallion.Refinement.Identity;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Patients;

/// <summary>
/// Patients: each source record (de-identified) into <c>silver.patient_records</c> and its identifiers into
/// <c>pii.patient_records</c>; then what follows for their patients (<see cref="PatientResolution"/>), unless a patient
/// batch queued behind this one will do it for both (<see cref="IdentityBacklog"/>).
/// </summary>
public sealed class PatientRefiner(
    SsnHasher ssnHasher,
    PatientResolution resolution,
    IOptions<RefinementOptions> options)
    : EntityRefiner<PatientRow>(PatientExpectations.Set, options.Value.TransformChunkRows)
{
    private const string Stage = "stage_patients";

    private static readonly string[] RecordColumns =
    [
        "source_system", "source_patient_id", "ssn_hash", "age_years", "sex", "region", "zip3", "insurance_plan", "coverage_start_date", "bmi",
        "smoker", "children", "charges", "source_updated_at", "data_quality_score", "failed_warnings", "content_hash", "_batch_id", "_file_name", "_row_number",
    ];

    private static readonly string[] PiiColumns =
        ["mrn", "first_name", "last_name", "date_of_birth", "address_line1", "city", "state", "zip_code", "phone", "email", "first_phonetic", "last_phonetic",
        "zip_name_key"];

    private static readonly SilverMerge Merge = new(Contracts.Entities.Patients, "silver.patient_records", Stage,
        ["source_system", "source_patient_id"], RecordColumns,
        alias => [$"coalesce({alias}.source_updated_at, '-infinity'::timestamptz)", $"{alias}._file_name", $"{alias}._row_number"]);

    public override IReadOnlyList<string> BronzeColumns => PatientRow.Columns;

    /// <summary>
    /// A batch that will leave identity resolution to a later one writes only its own records (silver's and pii's), which no
    /// claims or events merge reads: it shares the lock, with them and with other such batches. One that resolves
    /// changes the identity map and releases pending rows: alone.
    /// </summary>
    public override async Task<bool> WritesAloneAsync(NpgsqlConnection connection, BronzeBatch batch, CancellationToken cancellationToken) =>
        !await IdentityBacklog.WouldDeferAsync(connection, batch.BatchId, options.Value.Identity.MaxDeferral, cancellationToken);

    protected override PatientRow Parse(BronzeRow row, BronzeBatch batch) => PatientRow.Parse(row, batch, ssnHasher);

    protected override async Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch<PatientRow> refined, bool alone, CancellationToken cancellationToken)
    {
        var batch = refined.Batch;
        await QuarantineWriter.WriteAsync(connection, batch, refined.Quarantined, cancellationToken);
        await ExecuteAsync(connection, $"""
            DROP TABLE IF EXISTS {Stage};
            CREATE TEMP TABLE {Stage} (LIKE silver.patient_records INCLUDING DEFAULTS,
                mrn text, first_name text, last_name text, date_of_birth date, address_line1 text, city text, state text,
                zip_code text, phone text, email text, first_phonetic text, last_phonetic text, zip_name_key text) ON COMMIT DROP;
            """, cancellationToken);
        await Merge.PrepareAsync(connection, cancellationToken);

        // Versions of a source record: the latest source timestamp wins, then the later row (one batch is one file).
        var (winners, superseded) = BatchVersions.Split(refined.Staged, row => (row.SourceSystem, row.PatientId!),
            isLater: (row, earlier) => (row.SourceUpdatedAt ?? DateTime.MinValue) >= (earlier.SourceUpdatedAt ?? DateTime.MinValue));
        await Merge.StageAsync(connection, [.. RecordColumns, .. PiiColumns], winners, superseded, (importer, row) =>
        {
            importer.Write(row.SourceSystem, NpgsqlDbType.Text);
            importer.Write(row.PatientId!, NpgsqlDbType.Text);
            importer.Write(row.SsnHash, NpgsqlDbType.Text);
            importer.WriteOrNull((short?)row.AgeYears, NpgsqlDbType.Smallint);
            importer.Write(row.Sex switch { 'M' => "M", 'F' => "F", _ => "U" }, NpgsqlDbType.Char);
            importer.Write(row.Region, NpgsqlDbType.Text);
            importer.Write(row.Zip3, NpgsqlDbType.Char);
            importer.Write(row.InsurancePlan, NpgsqlDbType.Text);
            importer.WriteOrNull(row.CoverageStart, NpgsqlDbType.Date);
            importer.WriteOrNull(row.SilverBmi, NpgsqlDbType.Numeric);
            importer.WriteOrNull(row.Smoker, NpgsqlDbType.Boolean);
            importer.WriteOrNull((short?)row.Children, NpgsqlDbType.Smallint);
            importer.WriteOrNull(row.Charges, NpgsqlDbType.Numeric);
            importer.WriteOrNull(row.SourceUpdatedAt, NpgsqlDbType.TimestampTz);
            importer.Write(row.DataQualityScore, NpgsqlDbType.Numeric);
            importer.Write(row.FailedWarnings, NpgsqlDbType.Array | NpgsqlDbType.Text);
            importer.WriteLineage(row.ContentHash, batch, row.RowNumber);
            importer.Write(row.Mrn, NpgsqlDbType.Text);
            importer.Write(row.FirstName, NpgsqlDbType.Text);
            importer.Write(row.LastName, NpgsqlDbType.Text);
            importer.WriteOrNull(row.PiiBirthDate, NpgsqlDbType.Date);
            importer.Write(row.Address, NpgsqlDbType.Text);
            importer.Write(row.City, NpgsqlDbType.Text);
            importer.Write(row.State, NpgsqlDbType.Text);
            importer.Write(row.Zip, NpgsqlDbType.Text);
            importer.Write(row.Phone, NpgsqlDbType.Text);
            importer.Write(row.Email, NpgsqlDbType.Text);
            importer.Write(row.NameKeys.FirstPhonetic, NpgsqlDbType.Text);
            importer.Write(row.NameKeys.LastPhonetic, NpgsqlDbType.Text);
            importer.Write(row.NameKeys.ZipNameKey, NpgsqlDbType.Text);
        }, cancellationToken);

        var counts = await Merge.RunAsync(connection, cancellationToken);
        await ExecuteAsync(connection, $"""
            INSERT INTO pii.patient_records (source_system, source_patient_id, {string.Join(", ", PiiColumns)}, _batch_id, _row_number)
            SELECT source_system, source_patient_id, {string.Join(", ", PiiColumns)}, _batch_id, _row_number
            FROM {Stage}
            ON CONFLICT (source_system, source_patient_id) DO UPDATE
            SET {string.Join(", ", PiiColumns.Select(c => $"{c} = excluded.{c}"))}, _batch_id = excluded._batch_id, _row_number = excluded._row_number;

            DROP TABLE IF EXISTS touched_patient_records;
            CREATE TEMP TABLE touched_patient_records ON COMMIT DROP AS
            SELECT source_system, source_patient_id FROM {Stage};
            ANALYZE touched_patient_records;
            """, cancellationToken);

        // A bulk load's files leave their records to the last of them, which resolves them all at once (IdentityBacklog).
        if (await IdentityBacklog.DeferAsync(connection, batch.BatchId, options.Value.Identity.MaxDeferral, cancellationToken))
        {
            return counts;
        }

        if (!alone)
        {
            throw new WriteAloneException($"Patient batch {batch.BatchId} expected to leave identity resolution to a later batch, which has been refined meanwhile.");
        }

        var released = await resolution.ResolveAsync(connection, cancellationToken);
        return [.. counts, .. released];
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
