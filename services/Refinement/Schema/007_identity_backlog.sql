-- Patient batches that left the identity resolution of the records they wrote to a later patient batch queued behind
-- them (Identity/IdentityBacklog.cs): a bulk load of many patient files resolves its records once, in its last file's
-- transaction, instead of clustering the growing population again for every file. The resolving batch takes the
-- records these batches last wrote (silver.patient_records._batch_id) as touched records and empties the table; until
-- then a new record has no entry in the identity map (a claim or event of its patient waits as a pending orphan).
CREATE TABLE silver.identity_backlog (
    batch_id  uuid        PRIMARY KEY,
    queued_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification)
SELECT table_schema, table_name, column_name, 'none'
FROM information_schema.columns
WHERE table_schema IN ('silver', 'pii') AND table_name NOT IN ('column_classification', 'schema_migrations')
ON CONFLICT DO NOTHING;
