-- Source patient records written by a patient batch that left their identity resolution to a later patient batch
-- queued behind it (Identity/IdentityBacklog.cs): a bulk load of many patient files resolves its records once, in its
-- last file's transaction, instead of clustering the growing population again for every file. The resolving batch
-- takes them as touched records and empties the table; until then they have no entry in the identity map (a claim or
-- event of theirs waits as a pending orphan).
CREATE TABLE silver.identity_backlog (
    source_system     text        NOT NULL,
    source_patient_id text        NOT NULL,
    queued_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_system, source_patient_id)
);

INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification, note) VALUES
    ('silver', 'identity_backlog', 'source_patient_id', 'PHI', 'the source system''s patient id')
ON CONFLICT DO NOTHING;

INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification)
SELECT table_schema, table_name, column_name, 'none'
FROM information_schema.columns
WHERE table_schema IN ('silver', 'pii') AND table_name NOT IN ('column_classification', 'schema_migrations')
ON CONFLICT DO NOTHING;
