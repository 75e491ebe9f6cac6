using HealthMedallion.Refinement.Batches;
using HealthMedallion.Refinement.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace HealthMedallion.Refinement.Patients;

/// <summary>
/// What follows a change to the source patient records, in the changing transaction: identity resolution of the touched
/// records and of those waiting in the backlog (<see cref="IdentityBacklog"/>), claims and events re-pointed to the
/// patients their records now belong to, the release of claims and events that waited for these patients, and the
/// golden records of every patient concerned.
/// </summary>
public sealed class PatientResolution(
    NpgsqlDataSource dataSource,
    IPatientIdentityResolver resolver,
    ClaimsAndEvents waiting,
    IOptions<RefinementOptions> options,
    ILogger<PatientResolution> logger)
{
    /// <summary>
    /// Resolves <c>touched_patient_records</c> (created by the caller) and the backlog, then everything that follows;
    /// returns the changes to the counts of the batches whose pending rows it released.
    /// </summary>
    public async Task<List<BatchCounts>> ResolveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await IdentityBacklog.TakeAsync(connection, cancellationToken);
        await PatientGoldenRecords.BeginAsync(connection, cancellationToken);
        await resolver.ResolveAsync(connection, cancellationToken);
        await using (var command = new NpgsqlCommand("""
            ANALYZE identity_changes;
            UPDATE silver.claims c SET patient_id = ch.new_patient_id, processed_at = now()
            FROM identity_changes ch
            WHERE ch.old_patient_id <> ch.new_patient_id AND c.patient_id = ch.old_patient_id
              AND c.source_patient_id = ch.source_patient_id AND ch.source_system = silver.referenced_patient_system(c.source_system);

            UPDATE silver.medical_events e SET patient_id = ch.new_patient_id, processed_at = now()
            FROM identity_changes ch
            WHERE ch.old_patient_id <> ch.new_patient_id AND e.patient_id = ch.old_patient_id
              AND e.source_patient_id = ch.source_patient_id AND e.source_system = ch.source_system;
            """, connection) { CommandTimeout = 0 })
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        // Claims and events that waited for these patients; their merges add their patients to affected_patients.
        var released = await waiting.ReleaseAsync(connection, cancellationToken);
        await PatientGoldenRecords.RefreshAsync(connection, cancellationToken);
        return released;
    }

    /// <summary>
    /// The sweep's part: resolves the backlog in a transaction of its own when no patient batch will
    /// (<see cref="IdentityBacklog.IsStrandedAsync"/>). Returns whether it did.
    /// </summary>
    public async Task<bool> ResolveStrandedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SilverLock.AcquireAsync(connection, cancellationToken);
        if (!await IdentityBacklog.IsStrandedAsync(connection, options.Value.Identity.MaxDeferral, cancellationToken))
        {
            return false;
        }

        await using (var command = new NpgsqlCommand(
            "CREATE TEMP TABLE touched_patient_records (source_system text, source_patient_id text) ON COMMIT DROP", connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var released = await ResolveAsync(connection, cancellationToken);
        await BatchLedger.RecordReleasedAsync(connection, released, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogWarning("Resolved the identities the patient batches had left to a later batch that did not resolve them (rejected, or not refined in time)");
        return true;
    }
}
