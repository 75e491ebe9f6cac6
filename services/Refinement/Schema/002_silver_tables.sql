-- The silver layer. Every table keeps the bronze reference of the row it came from (_batch_id, _file_name,
-- _row_number), so any silver, quarantined or superseded row can be traced back to its landed file.
--
-- Accounting: every bronze row of a refined batch ends in exactly one of silver (written), quarantine,
-- superseded (an exact duplicate or an older version of its business key), pending (a claim or event whose
-- patient is not known yet) or, when a `fail` expectation rejects the whole batch, rejected. The CHECK on
-- silver.batches makes the database refuse any write that breaks that balance.

CREATE TABLE batches (
    batch_id            uuid        PRIMARY KEY,
    entity              text        NOT NULL CHECK (entity IN ('patients', 'claims', 'medical_events')),
    file_id             uuid        NOT NULL,
    file_name           text        NOT NULL,
    status              text        NOT NULL CHECK (status IN ('refined', 'failed')),
    bronze_rows         bigint      NOT NULL,
    rows_written        bigint      NOT NULL DEFAULT 0,
    rows_quarantined    bigint      NOT NULL DEFAULT 0,
    rows_superseded     bigint      NOT NULL DEFAULT 0,
    rows_pending        bigint      NOT NULL DEFAULT 0,
    rows_rejected       bigint      NOT NULL DEFAULT 0,
    -- Rows kept in silver that failed a `warn` expectation (a subset of rows_written, not a separate bucket).
    rows_warned         bigint      NOT NULL DEFAULT 0,
    failed_expectations text[]      NOT NULL DEFAULT '{}',
    refined_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    duration_ms         integer     NOT NULL DEFAULT 0,
    published_at        timestamptz,
    CONSTRAINT batches_conservation CHECK (
        bronze_rows = rows_written + rows_quarantined + rows_superseded + rows_pending + rows_rejected)
);

CREATE INDEX batches_unpublished ON batches (refined_at) WHERE published_at IS NULL;
CREATE INDEX batches_by_time ON batches (refined_at DESC);

-- One row per source registration (EHR, ADT or LAB patient record), typed and de-identified. The golden
-- record per resolved patient (silver.patients) is built from these.
CREATE TABLE patient_records (
    source_system       text        NOT NULL,
    source_patient_id   text        NOT NULL,
    ssn_hash            text,
    age_years           smallint,
    sex                 char(1)     NOT NULL CHECK (sex IN ('M', 'F', 'U')),
    region              text,
    zip3                char(3),
    insurance_plan      text,
    coverage_start_date date,
    bmi                 numeric(4, 1),
    smoker              boolean,
    children            smallint,
    charges             numeric(12, 2),
    source_updated_at   timestamptz,
    data_quality_score  numeric(4, 3) NOT NULL,
    failed_warnings     text[]      NOT NULL DEFAULT '{}',
    content_hash        bigint      NOT NULL,
    _batch_id           uuid        NOT NULL,
    _file_name          text        NOT NULL,
    _row_number         bigint      NOT NULL,
    processed_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_system, source_patient_id)
);

-- Identity resolution looks up the EHR record with a given SSN hash (or MRN, in pii), and the other sources' records
-- that share one with an arriving EHR record: one index for each side, so that neither lookup has to intersect
-- with every EHR row of the primary key or wade through the other side's entries.
CREATE INDEX patient_records_ehr_ssn_hash ON patient_records (ssn_hash, source_patient_id) WHERE source_system = 'EHR_SYSTEM';
CREATE INDEX patient_records_other_ssn_hash ON patient_records (ssn_hash) WHERE source_system <> 'EHR_SYSTEM' AND ssn_hash IS NOT NULL;

-- Source record -> resolved patient. Filled by the identity resolver (Identity/), read by every merge.
CREATE TABLE patient_identity_map (
    source_system     text        NOT NULL,
    source_patient_id text        NOT NULL,
    patient_id        text        NOT NULL,
    match_rule        text        NOT NULL,
    match_probability numeric(5, 4) NOT NULL,
    resolved_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_system, source_patient_id)
);

CREATE INDEX patient_identity_map_patient ON patient_identity_map (patient_id);

-- Every change of a source record's resolved patient, so that it is known at any time why records were joined.
CREATE TABLE patient_identity_history (
    source_system      text        NOT NULL,
    source_patient_id  text        NOT NULL,
    old_patient_id     text,
    new_patient_id     text        NOT NULL,
    match_rule         text        NOT NULL,
    changed_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX patient_identity_history_record ON patient_identity_history (source_system, source_patient_id, changed_at);

-- The golden record: one row per resolved patient, each attribute from its most trusted source record
-- (EHR, then ADT, then LAB; within a source the most recently updated).
CREATE TABLE patients (
    patient_id            text        PRIMARY KEY,
    age_years             smallint,
    sex                   char(1)     NOT NULL CHECK (sex IN ('M', 'F', 'U')),
    region                text,
    zip3                  char(3),
    bmi                   numeric(4, 1),
    smoker                boolean,
    children              smallint,
    charges               numeric(12, 2),
    insurance_plan        text,
    coverage_start_date   date,
    ssn_hash              text,
    source_records        smallint    NOT NULL,
    source_systems        text[]      NOT NULL,
    patient_risk_category text        NOT NULL CHECK (patient_risk_category IN ('LOW', 'MEDIUM', 'HIGH')),
    data_quality_score    numeric(4, 3) NOT NULL,
    effective_date        timestamptz NOT NULL,
    processed_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claims (
    claim_id          text          PRIMARY KEY,
    patient_id        text          NOT NULL,
    source_patient_id text          NOT NULL,
    claim_amount      numeric(12, 2) NOT NULL,
    claim_date        date          NOT NULL,
    diagnosis_code    text          NOT NULL,
    procedure_code    text,
    claim_status      text          NOT NULL CHECK (claim_status IN ('submitted', 'approved', 'denied', 'paid')),
    claim_category    text          NOT NULL,
    source_system     text          NOT NULL,
    failed_warnings   text[]        NOT NULL DEFAULT '{}',
    content_hash      bigint        NOT NULL,
    _batch_id         uuid          NOT NULL,
    _file_name        text          NOT NULL,
    _row_number       bigint        NOT NULL,
    processed_at      timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX claims_patient ON claims (patient_id);

CREATE TABLE medical_events (
    event_id            text        PRIMARY KEY,
    patient_id          text        NOT NULL,
    source_patient_id   text        NOT NULL,
    event_date          timestamptz NOT NULL,
    event_type          text        NOT NULL CHECK (event_type IN
                            ('admission', 'discharge', 'transfer', 'lab_result', 'vital_signs', 'clinical_note')),
    event_category      text        NOT NULL,
    medical_provider    text,
    encounter_id        text,
    care_unit           text,
    length_of_stay_days numeric(6, 2),
    lab_code            text,
    lab_value           numeric(14, 4),
    lab_unit            text,
    source_system       text        NOT NULL,
    failed_warnings     text[]      NOT NULL DEFAULT '{}',
    content_hash        bigint      NOT NULL,
    _batch_id           uuid        NOT NULL,
    _file_name          text        NOT NULL,
    _row_number         bigint      NOT NULL,
    processed_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX medical_events_patient ON medical_events (patient_id);
CREATE INDEX medical_events_encounter ON medical_events (encounter_id) WHERE encounter_id IS NOT NULL;

-- Claims and events whose patient is not known yet, typed and validated, waiting for the patient's record
-- (released into silver by the merge that brings it) or for the grace period to end (then quarantined).
CREATE TABLE pending_claims (LIKE claims INCLUDING DEFAULTS, held_since timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (_batch_id, _row_number));
ALTER TABLE pending_claims ALTER COLUMN patient_id DROP NOT NULL;
CREATE INDEX pending_claims_patient ON pending_claims (source_system, source_patient_id);

CREATE TABLE pending_medical_events (LIKE medical_events INCLUDING DEFAULTS, held_since timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (_batch_id, _row_number));
ALTER TABLE pending_medical_events ALTER COLUMN patient_id DROP NOT NULL;
CREATE INDEX pending_medical_events_patient ON pending_medical_events (source_system, source_patient_id);

-- Every bronze row that did not reach silver and was not superseded: its bronze reference, its business key
-- (never a PII value) and every expectation it failed. The raw values stay in bronze.
CREATE TABLE quarantine (
    entity          text        NOT NULL,
    _batch_id       uuid        NOT NULL,
    _file_name      text        NOT NULL,
    _row_number     bigint      NOT NULL,
    source_system   text        NOT NULL,
    business_key    text,
    failed_rules    text[]      NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (_batch_id, _row_number)
);

CREATE INDEX quarantine_by_entity ON quarantine (entity, quarantined_at DESC);
CREATE INDEX quarantine_rules ON quarantine USING gin (failed_rules);

-- Rows that lost to another row of the same business key: an exact copy ('exact_duplicate'), an older version
-- that arrived ('older_version'), or a silver row replaced by a later correction ('replaced', counted as
-- written by its own batch). superseded_by_* is the bronze reference of the row that won.
CREATE TABLE superseded (
    entity                  text        NOT NULL,
    business_key            text        NOT NULL,
    _batch_id               uuid        NOT NULL,
    _file_name              text        NOT NULL,
    _row_number             bigint      NOT NULL,
    reason                  text        NOT NULL CHECK (reason IN ('exact_duplicate', 'older_version', 'replaced')),
    superseded_by_batch_id  uuid        NOT NULL,
    superseded_by_file_name text        NOT NULL,
    superseded_by_row       bigint      NOT NULL,
    superseded_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX superseded_by_batch ON superseded (_batch_id);

-- What each silver column holds: PII (a direct identifier: only ever in the restricted pii schema), PHI (health
-- information or a Safe Harbor-generalised quasi-identifier) or none. The quality monitor checks silver
-- against it.
CREATE TABLE column_classification (
    table_schema   text NOT NULL,
    table_name     text NOT NULL,
    column_name    text NOT NULL,
    classification text NOT NULL CHECK (classification IN ('PII', 'PHI', 'none')),
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (table_schema, table_name, column_name)
);

-- Risk from age, BMI, smoking and claims history (documented in services/Refinement/README.md): one point each
-- for age 45-64, BMI 25-29.9 and claims totalling 10,000 or more; two points each for age 65+, BMI 30+,
-- smoking and claims totalling 50,000 or more. 0-1 LOW, 2-3 MEDIUM, 4+ HIGH. Unknown values add nothing.
CREATE FUNCTION risk_category(age_years smallint, bmi numeric, smoker boolean, claims_total numeric)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN points >= 4 THEN 'HIGH'
        WHEN points >= 2 THEN 'MEDIUM'
        ELSE 'LOW'
    END
    FROM (SELECT
        CASE WHEN age_years >= 65 THEN 2 WHEN age_years >= 45 THEN 1 ELSE 0 END
      + CASE WHEN bmi >= 30 THEN 2 WHEN bmi >= 25 THEN 1 ELSE 0 END
      + CASE WHEN smoker THEN 2 ELSE 0 END
      + CASE WHEN claims_total >= 50000 THEN 2 WHEN claims_total >= 10000 THEN 1 ELSE 0 END AS points) AS scored
$$;

-- The restricted schema: direct identifiers, read only by identity resolution. Nobody but the owner may use it.
CREATE SCHEMA IF NOT EXISTS pii;
REVOKE ALL ON SCHEMA pii FROM PUBLIC;

CREATE TABLE pii.patient_records (
    source_system     text        NOT NULL,
    source_patient_id text        NOT NULL,
    mrn               text,
    first_name        text,
    last_name         text,
    date_of_birth     date,
    address_line1     text,
    city              text,
    state             char(2),
    zip_code          text,
    phone             text,
    email             text,
    _batch_id         uuid        NOT NULL,
    _row_number       bigint      NOT NULL,
    PRIMARY KEY (source_system, source_patient_id)
);

CREATE INDEX patient_records_ehr_mrn ON pii.patient_records (mrn, source_patient_id) WHERE source_system = 'EHR_SYSTEM';
CREATE INDEX patient_records_other_mrn ON pii.patient_records (mrn) WHERE source_system <> 'EHR_SYSTEM' AND mrn IS NOT NULL;

-- Expectation results, like the DLT event log's flow_progress data_quality: per batch and expectation, how
-- many rows passed and failed. Written by the refinement service in the batch's own transaction (the
-- evaluating pipeline writes its event log); read by the quality monitor, which owns the rest of the schema.
CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE quality.expectation_results (
    batch_id    uuid        NOT NULL,
    entity      text        NOT NULL,
    expectation text        NOT NULL,
    severity    text        NOT NULL CHECK (severity IN ('warn', 'drop', 'fail')),
    passed      bigint      NOT NULL,
    failed      bigint      NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_id, expectation)
);

CREATE INDEX expectation_results_by_time ON quality.expectation_results (recorded_at DESC);

INSERT INTO column_classification (table_schema, table_name, column_name, classification, note) VALUES
    ('silver', 'patient_records', 'ssn_hash', 'PHI', 'HMAC-SHA256 of the SSN with a secret key; the raw SSN never leaves bronze'),
    ('silver', 'patient_records', 'age_years', 'PHI', 'Safe Harbor: 90 for every age over 89'),
    ('silver', 'patient_records', 'zip3', 'PHI', 'Safe Harbor: first three ZIP digits, 000 for restricted prefixes'),
    ('silver', 'patient_records', 'bmi', 'PHI', ''),
    ('silver', 'patient_records', 'smoker', 'PHI', ''),
    ('silver', 'patients', 'ssn_hash', 'PHI', 'HMAC-SHA256 of the SSN with a secret key'),
    ('silver', 'patients', 'age_years', 'PHI', 'Safe Harbor: 90 for every age over 89'),
    ('silver', 'patients', 'zip3', 'PHI', 'Safe Harbor: first three ZIP digits, 000 for restricted prefixes'),
    ('silver', 'patients', 'bmi', 'PHI', ''),
    ('silver', 'patients', 'smoker', 'PHI', ''),
    ('silver', 'patients', 'patient_risk_category', 'PHI', ''),
    ('silver', 'claims', 'claim_date', 'PHI', 'service date'),
    ('silver', 'claims', 'diagnosis_code', 'PHI', ''),
    ('silver', 'claims', 'procedure_code', 'PHI', ''),
    ('silver', 'claims', 'claim_amount', 'PHI', ''),
    ('silver', 'medical_events', 'event_date', 'PHI', 'service date'),
    ('silver', 'medical_events', 'lab_code', 'PHI', ''),
    ('silver', 'medical_events', 'lab_value', 'PHI', ''),
    ('silver', 'patients', 'patient_id', 'PHI', 'the source system''s patient id, used as the pseudonymous key'),
    ('silver', 'patient_records', 'source_patient_id', 'PHI', 'the source system''s patient id'),
    ('silver', 'patient_identity_map', 'source_patient_id', 'PHI', 'the source system''s patient id'),
    ('silver', 'claims', 'patient_id', 'PHI', 'resolved patient id'),
    ('silver', 'medical_events', 'patient_id', 'PHI', 'resolved patient id'),
    ('pii', 'patient_records', 'mrn', 'PII', 'medical record number'),
    ('pii', 'patient_records', 'first_name', 'PII', ''),
    ('pii', 'patient_records', 'last_name', 'PII', ''),
    ('pii', 'patient_records', 'date_of_birth', 'PII', ''),
    ('pii', 'patient_records', 'address_line1', 'PII', ''),
    ('pii', 'patient_records', 'city', 'PII', ''),
    ('pii', 'patient_records', 'state', 'PII', ''),
    ('pii', 'patient_records', 'zip_code', 'PII', ''),
    ('pii', 'patient_records', 'phone', 'PII', ''),
    ('pii', 'patient_records', 'email', 'PII', '');

-- Every other column of the two schemas holds nothing identifying.
INSERT INTO column_classification (table_schema, table_name, column_name, classification)
SELECT table_schema, table_name, column_name, 'none'
FROM information_schema.columns
WHERE table_schema IN ('silver', 'pii') AND table_name NOT IN ('column_classification', 'schema_migrations')
ON CONFLICT DO NOTHING;

-- Claims refer to the EHR's patient ids; every other source's rows to its own.
CREATE FUNCTION referenced_patient_system(source_system text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE source_system WHEN 'CLAIMS_SYSTEM' THEN 'EHR_SYSTEM' ELSE source_system END
$$;
