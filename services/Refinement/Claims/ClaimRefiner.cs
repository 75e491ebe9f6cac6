using HealthMedallion.Contracts;
using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Expectations;
using HealthMedallion.Refinement.Patients;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Claims;

/// <summary>Claims: one silver row per claim id, attached to the resolved patient; the patients' risk follows their claims.</summary>
public sealed class ClaimRefiner(ClaimMerge merge, IOptions<RefinementOptions> options)
    : EntityRefiner<ClaimRow>(ClaimExpectations.Set, options.Value.TransformChunkRows)
{
    public override IReadOnlyList<string> BronzeColumns => ClaimRow.Columns;

    /// <summary>A claims batch writes claims and its patients' risk, which no events batch touches: the two may merge at once.</summary>
    public override Task<bool> WritesAloneAsync(NpgsqlConnection connection, BronzeBatch batch, CancellationToken cancellationToken) => Task.FromResult(false);

    public override IEnumerable<ExpectationDescription> Expectations => base.Expectations.Append(merge.PatientExists);

    protected override ClaimRow Parse(BronzeRow row, BronzeBatch batch) => ClaimRow.Parse(row, batch);

    protected override async Task<IReadOnlyList<BatchCounts>> WriteAsync(NpgsqlConnection connection, RefinedBatch<ClaimRow> refined, bool alone, CancellationToken cancellationToken)
    {
        var batch = refined.Batch;
        await PatientGoldenRecords.BeginAsync(connection, cancellationToken);
        var counts = await merge.WriteAsync(connection, refined, (importer, row, patientId) =>
        {
            importer.Write(row.ClaimId!, NpgsqlDbType.Text);
            importer.Write(patientId, NpgsqlDbType.Text);
            importer.Write(row.PatientId!, NpgsqlDbType.Text);
            importer.Write(row.Amount!.Value, NpgsqlDbType.Numeric);
            importer.Write(row.ClaimDate!.Value, NpgsqlDbType.Date);
            importer.Write(row.DiagnosisCode!, NpgsqlDbType.Text);
            importer.Write(row.ProcedureCode, NpgsqlDbType.Text);
            importer.Write(row.Status!, NpgsqlDbType.Text);
            importer.Write(row.Category, NpgsqlDbType.Text);
            importer.Write(row.SourceSystem, NpgsqlDbType.Text);
            importer.Write(row.FailedWarnings, NpgsqlDbType.Array | NpgsqlDbType.Text);
            importer.WriteLineage(row.ContentHash, batch, row.RowNumber);
        }, cancellationToken);
        await PatientGoldenRecords.RefreshRiskAsync(connection, cancellationToken);
        return counts;
    }
}

/// <summary>The claims merge; what it writes changes the claims total, and so the risk, of the claims' patients.</summary>
public sealed class ClaimMerge() : PatientLinkedMerge(Entities.Claims, "silver.claims", "silver.pending_claims", "claim_id", Columns)
{
    public static readonly string[] Columns =
    [
        "claim_id", "patient_id", "source_patient_id", "claim_amount", "claim_date", "diagnosis_code", "procedure_code", "claim_status",
        "claim_category", "source_system", "failed_warnings", "content_hash", "_batch_id", "_file_name", "_row_number",
    ];

    protected override async Task AfterMergeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await PatientGoldenRecords.BeginAsync(connection, cancellationToken);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO affected_patients
            SELECT DISTINCT patient_id FROM {Stage}
            ON CONFLICT DO NOTHING
            """, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
