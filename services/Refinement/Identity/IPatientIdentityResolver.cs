using Npgsql;

namespace HealthMedallion.Refinement.Identity;

/// <summary>
/// Links source patient records (EHR, ADT, LAB) to one resolved patient. Runs inside the resolving transaction (a patient
/// batch's, after its records are merged, or the sweep's: <see cref="Patients.PatientResolution"/>):
/// <list type="bullet">
/// <item>in: the temporary table <c>touched_patient_records (source_system, source_patient_id)</c>, the
/// records the batch and the backlog's batches inserted or changed (their other values are in <c>silver.patient_records</c>
/// and <c>pii.patient_records</c>), and the empty temporary table <c>affected_patients (patient_id)</c>;</item>
/// <item>out: <c>silver.patient_identity_map</c> up to date for them and for every record whose resolution they
/// change, each change in <c>silver.patient_identity_history</c>, the temporary table
/// <c>identity_changes (source_system, source_patient_id, old_patient_id, new_patient_id)</c> listing the changes of
/// records that had a patient, and in <c>affected_patients</c> every touched record's patient and both patients of each
/// record that changed patient (those whose golden record may change).</item>
/// </list>
/// </summary>
public interface IPatientIdentityResolver
{
    Task ResolveAsync(NpgsqlConnection connection, CancellationToken cancellationToken);
}
