using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Expectations;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.MedicalEvents;

/// <summary>Medical events: one silver row per event id, attached to the resolved patient, with the length of stay of each discharge.</summary>
public sealed class MedicalEventRefiner(MedicalEventMerge merge, IOptions<RefinementOptions> options)
    : EntityRefiner<MedicalEventRow>(MedicalEventExpectations.Set, options.Value.TransformChunkRows)
{
    public override IReadOnlyList<string> BronzeColumns => MedicalEventRow.Columns;

    /// <summary>An events batch writes only events (and their length of stay): it may merge while a claims batch does.</summary>
    public override Task<bool> WritesAloneAsync(NpgsqlConnection connection, BronzeBatch batch, CancellationToken cancellationToken) => Task.FromResult(false);

    public override IEnumerable<ExpectationDescription> Expectations => base.Expectations.Append(merge.PatientExists);

    protected override MedicalEventRow Parse(BronzeRow row, BronzeBatch batch) => MedicalEventRow.Parse(row, batch);

    protected override async Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch<MedicalEventRow> refined, bool alone, CancellationToken cancellationToken)
    {
        var batch = refined.Batch;
        return await merge.WriteAsync(connection, refined, (importer, row, patientId) =>
        {
            importer.Write(row.EventId!, NpgsqlDbType.Text);
            importer.Write(patientId, NpgsqlDbType.Text);
            importer.Write(row.PatientId!, NpgsqlDbType.Text);
            importer.Write(row.EventDate!.Value, NpgsqlDbType.TimestampTz);
            importer.Write(row.EventType!, NpgsqlDbType.Text);
            importer.Write(row.Category, NpgsqlDbType.Text);
            importer.Write(row.Provider, NpgsqlDbType.Text);
            importer.Write(row.EncounterId, NpgsqlDbType.Text);
            importer.Write(row.CareUnit, NpgsqlDbType.Text);
            importer.Write(row.LabCode, NpgsqlDbType.Text);
            importer.WriteOrNull(row.LabValue, NpgsqlDbType.Numeric);
            importer.Write(row.LabUnit, NpgsqlDbType.Text);
            importer.Write(row.SourceSystem, NpgsqlDbType.Text);
            importer.Write(row.FailedWarnings, NpgsqlDbType.Array | NpgsqlDbType.Text);
            importer.WriteLineage(row.ContentHash, batch, row.RowNumber);
        }, cancellationToken);
    }
}

/// <summary>The medical events merge; a merged admission or discharge (re)computes its encounter's length of stay.</summary>
public sealed class MedicalEventMerge() : PatientLinkedMerge(Entities.MedicalEvents, "silver.medical_events", "silver.pending_medical_events", "event_id", Columns)
{
    public static readonly string[] Columns =
    [
        "event_id", "patient_id", "source_patient_id", "event_date", "event_type", "event_category", "medical_provider", "encounter_id",
        "care_unit", "lab_code", "lab_value", "lab_unit", "source_system", "failed_warnings", "content_hash", "_batch_id", "_file_name", "_row_number",
    ];

    protected override async Task AfterMergeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // In days, on the discharge: from the encounter's first admission, whichever of the two arrived last. Only the
        // encounters of the written rows are looked at, through the encounter index, not every admission in silver. The
        // planner chooses the joins here: with hash joins off (KeyProbes) the partial encounter index was not probed, and
        // one batch at 100,000 patients took 316 s.
        await using var command = new NpgsqlCommand($"""
            WITH touched AS MATERIALIZED (
                SELECT DISTINCT encounter_id FROM {Stage}
                WHERE event_type IN ('admission', 'discharge') AND encounter_id IS NOT NULL
            ), admitted AS (
                SELECT e.encounter_id, min(e.event_date) AS admitted
                FROM touched t JOIN silver.medical_events e ON e.encounter_id = t.encounter_id
                WHERE e.event_type = 'admission'
                GROUP BY e.encounter_id
            )
            UPDATE silver.medical_events d
            SET length_of_stay_days = round((extract(epoch FROM d.event_date - a.admitted) / 86400)::numeric, 2)
            FROM admitted a
            WHERE d.encounter_id = a.encounter_id AND d.event_type = 'discharge'
              AND d.length_of_stay_days IS DISTINCT FROM round((extract(epoch FROM d.event_date - a.admitted) / 86400)::numeric, 2)
            """, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
