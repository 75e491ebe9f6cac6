using Npgsql;

namespace HealthMedallion.Refinement.Identity;

/// <summary>
/// Exact-match resolution: an EHR record is its own patient; any other record belongs to the EHR patient with the
/// same MRN, else the same SSN hash, else stands alone under its own id. A record whose MRN or SSN hash an arriving
/// EHR record shares is re-resolved too, so the map does not depend on which file came first.
/// </summary>
public sealed class DeterministicIdentityResolver : IPatientIdentityResolver
{
    public const string SourceRecordRule = "source_record";
    public const string MrnRule = "exact_mrn";
    public const string SsnHashRule = "exact_ssn_hash";

    public async Task ResolveAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS identity_changes;
            CREATE TEMP TABLE identity_changes (
                source_system text, source_patient_id text, old_patient_id text, new_patient_id text, match_rule text
            ) ON COMMIT DROP;

            WITH scope AS (
                SELECT source_system, source_patient_id FROM touched_patient_records
                UNION
                SELECT o.source_system, o.source_patient_id
                FROM touched_patient_records t
                JOIN pii.patient_records p USING (source_system, source_patient_id)
                JOIN pii.patient_records o ON o.mrn = p.mrn
                UNION
                SELECT o.source_system, o.source_patient_id
                FROM touched_patient_records t
                JOIN silver.patient_records r USING (source_system, source_patient_id)
                JOIN silver.patient_records o ON o.ssn_hash = r.ssn_hash
            ), resolved AS (
                SELECT source_system, source_patient_id, source_patient_id AS patient_id, '{SourceRecordRule}' AS match_rule
                FROM scope WHERE source_system = 'EHR_SYSTEM'
                UNION ALL
                SELECT s.source_system, s.source_patient_id,
                    coalesce(by_mrn.id, by_ssn.id, s.source_patient_id),
                    CASE WHEN by_mrn.id IS NOT NULL THEN '{MrnRule}' WHEN by_ssn.id IS NOT NULL THEN '{SsnHashRule}' ELSE '{SourceRecordRule}' END
                FROM scope s
                JOIN pii.patient_records p USING (source_system, source_patient_id)
                JOIN silver.patient_records r USING (source_system, source_patient_id)
                LEFT JOIN LATERAL (
                    SELECT min(e.source_patient_id) AS id FROM pii.patient_records e
                    WHERE e.source_system = 'EHR_SYSTEM' AND e.mrn = p.mrn
                ) by_mrn ON true
                LEFT JOIN LATERAL (
                    SELECT min(e.source_patient_id) AS id FROM silver.patient_records e
                    WHERE e.source_system = 'EHR_SYSTEM' AND e.ssn_hash = r.ssn_hash
                ) by_ssn ON true
                WHERE s.source_system <> 'EHR_SYSTEM'
            )
            INSERT INTO identity_changes
            SELECT r.source_system, r.source_patient_id, m.patient_id, r.patient_id, r.match_rule
            FROM resolved r
            LEFT JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
            WHERE m.patient_id IS DISTINCT FROM r.patient_id OR m.match_rule IS DISTINCT FROM r.match_rule;

            INSERT INTO silver.patient_identity_map (source_system, source_patient_id, patient_id, match_rule, match_probability)
            SELECT source_system, source_patient_id, new_patient_id, match_rule, 1 FROM identity_changes
            ON CONFLICT (source_system, source_patient_id) DO UPDATE
            SET patient_id = excluded.patient_id, match_rule = excluded.match_rule,
                match_probability = excluded.match_probability, resolved_at = now();

            INSERT INTO silver.patient_identity_history (source_system, source_patient_id, old_patient_id, new_patient_id, match_rule)
            SELECT source_system, source_patient_id, old_patient_id, new_patient_id, match_rule FROM identity_changes;
            """, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
