-- The name keys incremental identity resolution looks a new record's candidates up by (Identity/Blocking/BlockingKeys.cs:
-- the phonetic codes of both names, ZIP3 + both codes) are stored by refinement with the record's identifiers, in the
-- same write, instead of in a table of their own that every resolution had to fill: one table, one primary key and one
-- index fewer to maintain per source record. Rows written before this are given their keys by the next
-- whole-population resolution (IdentityScope.WriteStaleKeysAsync).
DROP TABLE pii.identity_keys;

ALTER TABLE pii.patient_records
    ADD COLUMN first_phonetic text,
    ADD COLUMN last_phonetic  text,
    ADD COLUMN zip_name_key   text;

-- Date of birth + either name's code: one index on the date (a few dozen records share a birth date even in a large
-- population) answers all four name combinations, where an index per combination costs a write each.
CREATE INDEX patient_records_birth_date ON pii.patient_records (date_of_birth) WHERE date_of_birth IS NOT NULL;
CREATE INDEX patient_records_zip_name ON pii.patient_records (zip_name_key) WHERE zip_name_key IS NOT NULL;

DELETE FROM silver.column_classification WHERE table_schema = 'pii' AND table_name = 'identity_keys';
INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification, note) VALUES
    ('pii', 'patient_records', 'first_phonetic', 'PII', 'phonetic code of the given name'),
    ('pii', 'patient_records', 'last_phonetic', 'PII', 'phonetic code of the family name'),
    ('pii', 'patient_records', 'zip_name_key', 'PII', 'ZIP3 and the phonetic codes of both names')
ON CONFLICT DO NOTHING;
