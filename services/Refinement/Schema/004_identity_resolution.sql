-- Probabilistic identity resolution (Identity/, services/Refinement/README.md "Identity"): lineage of every link,
-- the estimated Fellegi-Sunter models, the review queue, the blocking keys for incremental look-ups, survivorship
-- sources of the golden record, and the figures the quality monitor reads.

-- Lineage: the link that joined a record to its patient (the other record and each field's level; match_rule and
-- match_probability exist already). Null for a patient's own record. The model that scored it is the latest in
-- silver.identity_models estimated before resolved_at; the history keeps the weights of the time.
ALTER TABLE silver.patient_identity_map
    ADD COLUMN linked_to          text,
    ADD COLUMN match_levels       text;

ALTER TABLE silver.patient_identity_history
    ADD COLUMN match_probability  numeric(5, 4),
    ADD COLUMN linked_to          text,
    ADD COLUMN match_weight       real,
    ADD COLUMN match_levels       text;

-- Each estimation of the model: m and u per field and level (arrays in the order of Identity/Comparison/IdentityFields.cs)
-- and the prior share of matches among candidate pairs. The latest one scores every resolution.
CREATE TABLE silver.identity_models (
    estimated_at timestamptz      PRIMARY KEY,
    prior        double precision NOT NULL,
    fields       jsonb            NOT NULL,
    description  text             NOT NULL
);

-- Pairs whose match probability fell between the review and auto-link thresholds (and that could join), for a person
-- to decide. A decision is kept for good: accepted pairs are linked at the next resolution (applied_at), rejected ones
-- never are. first_* is the ordinally smaller of the two records.
CREATE TABLE silver.identity_review (
    review_id                 bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_source_system       text         NOT NULL,
    first_source_patient_id   text         NOT NULL,
    second_source_system      text         NOT NULL,
    second_source_patient_id  text         NOT NULL,
    match_probability         numeric(5, 4) NOT NULL,
    match_weight              real         NOT NULL,
    match_levels              text         NOT NULL,
    status                    text         NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    created_at                timestamptz  NOT NULL DEFAULT now(),
    decided_at                timestamptz,
    decided_by                text,
    applied_at                timestamptz,
    UNIQUE (first_source_system, first_source_patient_id, second_source_system, second_source_patient_id)
);

CREATE INDEX identity_review_pending ON silver.identity_review (created_at) WHERE status = 'pending';
CREATE INDEX identity_review_second ON silver.identity_review (second_source_system, second_source_patient_id);

-- Figures for the quality monitor, one row per resolution (see the README): coverage, average confidence,
-- review-queue size and the oldest record still waiting for a decision.
CREATE TABLE silver.identity_quality (
    measured_at          timestamptz   NOT NULL DEFAULT clock_timestamp() PRIMARY KEY,
    source_records       bigint        NOT NULL,
    resolved_records     bigint        NOT NULL,
    coverage             numeric(7, 6) NOT NULL,
    average_confidence   numeric(7, 6) NOT NULL,
    review_queue_size    bigint        NOT NULL,
    oldest_unresolved_at timestamptz,
    oldest_unresolved_age_seconds bigint NOT NULL,
    records_resolved_now bigint        NOT NULL,
    candidate_pairs      bigint        NOT NULL,
    model_estimated_at   timestamptz
);

-- Survivorship: which source system each attribute of the golden record came from.
ALTER TABLE silver.patients ADD COLUMN attribute_sources jsonb NOT NULL DEFAULT '{}';

-- Blocking keys derived from names and dates of birth (phonetic codes): as identifying as what they come from, so in
-- the restricted schema. Incremental resolution finds a new record's candidates through these and the indexes below.
CREATE TABLE pii.identity_keys (
    source_system     text NOT NULL,
    source_patient_id text NOT NULL,
    birth_date        date,
    first_phonetic    text,
    last_phonetic     text,
    zip_name_key      text,
    PRIMARY KEY (source_system, source_patient_id)
);

CREATE INDEX identity_keys_birth_first ON pii.identity_keys (birth_date, first_phonetic) WHERE birth_date IS NOT NULL;
CREATE INDEX identity_keys_birth_last ON pii.identity_keys (birth_date, last_phonetic) WHERE birth_date IS NOT NULL;
CREATE INDEX identity_keys_zip_name ON pii.identity_keys (zip_name_key) WHERE zip_name_key IS NOT NULL;
CREATE INDEX patient_records_phone ON pii.patient_records (phone) WHERE phone IS NOT NULL;
CREATE INDEX patient_records_email ON pii.patient_records (email) WHERE email IS NOT NULL;

INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification, note) VALUES
    ('silver', 'patient_identity_map', 'linked_to', 'PHI', 'the source record id it was linked through'),
    ('silver', 'patient_identity_history', 'linked_to', 'PHI', 'the source record id it was linked through'),
    ('silver', 'identity_review', 'first_source_patient_id', 'PHI', 'the source system''s patient id'),
    ('silver', 'identity_review', 'second_source_patient_id', 'PHI', 'the source system''s patient id'),
    ('pii', 'identity_keys', 'birth_date', 'PII', 'date of birth'),
    ('pii', 'identity_keys', 'first_phonetic', 'PII', 'phonetic code of the given name'),
    ('pii', 'identity_keys', 'last_phonetic', 'PII', 'phonetic code of the family name'),
    ('pii', 'identity_keys', 'zip_name_key', 'PII', 'ZIP3 and the phonetic codes of both names')
ON CONFLICT DO NOTHING;

INSERT INTO silver.column_classification (table_schema, table_name, column_name, classification)
SELECT table_schema, table_name, column_name, 'none'
FROM information_schema.columns
WHERE table_schema IN ('silver', 'pii') AND table_name NOT IN ('column_classification', 'schema_migrations')
ON CONFLICT DO NOTHING;
