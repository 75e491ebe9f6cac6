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

            WITH partners AS (
                -- Records of the other sources that share an MRN or SSN hash with an arriving EHR record: they may be its patient now.
                SELECT o.source_system, o.source_patient_id, o.mrn, r.ssn_hash
                FROM touched_patient_records t
                JOIN pii.patient_records o ON o.mrn = t.mrn AND o.source_system <> 'EHR_SYSTEM'
                JOIN silver.patient_records r ON r.source_system = o.source_system AND r.source_patient_id = o.source_patient_id
                WHERE t.source_system = 'EHR_SYSTEM'
                UNION
                SELECT o.source_system, o.source_patient_id, p.mrn, o.ssn_hash
                FROM touched_patient_records t
                JOIN silver.patient_records o ON o.ssn_hash = t.ssn_hash AND o.source_system <> 'EHR_SYSTEM'
                JOIN pii.patient_records p ON p.source_system = o.source_system AND p.source_patient_id = o.source_patient_id
                WHERE t.source_system = 'EHR_SYSTEM'
            ), others AS (
                SELECT source_system, source_patient_id, mrn, ssn_hash FROM touched_patient_records WHERE source_system <> 'EHR_SYSTEM'
                UNION
                SELECT source_system, source_patient_id, mrn, ssn_hash FROM partners
            ), resolved AS (
                SELECT source_system, source_patient_id, source_patient_id AS patient_id, '{SourceRecordRule}' AS match_rule
                FROM touched_patient_records WHERE source_system = 'EHR_SYSTEM'
                UNION ALL
                SELECT s.source_system, s.source_patient_id,
                    coalesce(by_mrn.id, by_ssn.id, s.source_patient_id),
                    CASE WHEN by_mrn.id IS NOT NULL THEN '{MrnRule}' WHEN by_ssn.id IS NOT NULL THEN '{SsnHashRule}' ELSE '{SourceRecordRule}' END
                FROM others s
                LEFT JOIN LATERAL (
                    SELECT min(e.source_patient_id) AS id FROM pii.patient_records e
                    WHERE e.source_system = 'EHR_SYSTEM' AND e.mrn = s.mrn
                ) by_mrn ON true
                LEFT JOIN LATERAL (
                    SELECT min(e.source_patient_id) AS id FROM silver.patient_records e
                    WHERE e.source_system = 'EHR_SYSTEM' AND e.ssn_hash = s.ssn_hash
                ) by_ssn ON true
            )
            INSERT INTO identity_changes
            SELECT r.source_system, r.source_patient_id, m.patient_id, r.patient_id, r.match_rule
            FROM resolved r
            LEFT JOIN silver.patient_identity_map m USING (source_system, source_patient_id)
            WHERE m.patient_id IS DISTINCT FROM r.patient_id OR m.match_rule IS DISTINCT FROM r.match_rule;

            -- Under the silver lock nobody else writes the map: new records are plain inserts.
            INSERT INTO silver.patient_identity_map (source_system, source_patient_id, patient_id, match_rule, match_probability)
            SELECT source_system, source_patient_id, new_patient_id, match_rule, 1 FROM identity_changes WHERE old_patient_id IS NULL;

            UPDATE silver.patient_identity_map m
            SET patient_id = c.new_patient_id, match_rule = c.match_rule, match_probability = 1, resolved_at = now()
            FROM identity_changes c
            WHERE c.old_patient_id IS NOT NULL AND m.source_system = c.source_system AND m.source_patient_id = c.source_patient_id;

            INSERT INTO silver.patient_identity_history (source_system, source_patient_id, old_patient_id, new_patient_id, match_rule)
            SELECT source_system, source_patient_id, old_patient_id, new_patient_id, match_rule FROM identity_changes;
            """, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
