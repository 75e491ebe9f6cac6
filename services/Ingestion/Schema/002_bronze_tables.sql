-- The three bronze tables (every source column as text, exactly as received, plus lineage), the checkpoint of
-- every landed file version (identity: path + size + sha256) and of every committed batch of its rows.

CREATE TABLE files (
    file_id            uuid        PRIMARY KEY,
    path               text        NOT NULL,
    file_name          text        NOT NULL,
    entity             text        NOT NULL,
    source_system      text,
    size_bytes         bigint      NOT NULL,
    modified_at        timestamptz NOT NULL,
    sha256             text        NOT NULL,
    status             text        NOT NULL DEFAULT 'ingesting' CHECK (status IN ('ingesting', 'ingested', 'rejected')),
    rows               bigint      NOT NULL DEFAULT 0,
    rescued_rows       bigint      NOT NULL DEFAULT 0,
    batches            integer     NOT NULL DEFAULT 0,
    -- Byte offset of the first row no committed batch holds: a restart resumes there.
    resume_offset      bigint      NOT NULL DEFAULT 0,
    error              text,
    discovered_by      text        NOT NULL CHECK (discovered_by IN ('event', 'scan')),
    announced_file_id  uuid,
    discovered_at      timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    -- A rejection raises QualityAlertRaised; a rejection whose alert was not yet published is re-published.
    alert_id           uuid,
    alert_published_at timestamptz,
    CONSTRAINT files_identity UNIQUE (path, size_bytes, sha256)
);

CREATE INDEX files_unfinished ON files (discovered_at) WHERE status = 'ingesting';
CREATE INDEX files_by_entity_status ON files (entity, status);

CREATE TABLE batches (
    batch_id     uuid        PRIMARY KEY,
    file_id      uuid        NOT NULL REFERENCES files (file_id),
    sequence     integer     NOT NULL,
    entity       text        NOT NULL,
    first_row    bigint      NOT NULL,
    rows         bigint      NOT NULL,
    rescued_rows bigint      NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    CONSTRAINT batches_sequence UNIQUE (file_id, sequence)
);

CREATE INDEX batches_unpublished ON batches (committed_at) WHERE published_at IS NULL;

CREATE TABLE patients (
    patient_id text, mrn text, first_name text, last_name text, date_of_birth text, gender text,
    address_line1 text, city text, state text, zip_code text, phone text, email text, ssn text,
    insurance_id text, insurance_plan text, coverage_start_date text, bmi text, smoker text, children text,
    charges text, source_system text, "timestamp" text,
    _source_system text NOT NULL,
    _batch_id uuid NOT NULL,
    _file_name text NOT NULL,
    _file_path text NOT NULL,
    _file_size bigint NOT NULL,
    _file_modification_time timestamptz NOT NULL,
    _row_number bigint NOT NULL,
    _rescued_data jsonb,
    _ingested_at timestamptz NOT NULL DEFAULT now(),
    _pipeline_env text NOT NULL
);

CREATE TABLE claims (
    claim_id text, patient_id text, claim_amount text, claim_date text, diagnosis_code text, procedure_code text,
    claim_status text, source_system text,
    _source_system text NOT NULL,
    _batch_id uuid NOT NULL,
    _file_name text NOT NULL,
    _file_path text NOT NULL,
    _file_size bigint NOT NULL,
    _file_modification_time timestamptz NOT NULL,
    _row_number bigint NOT NULL,
    _rescued_data jsonb,
    _ingested_at timestamptz NOT NULL DEFAULT now(),
    _pipeline_env text NOT NULL
);

CREATE TABLE medical_events (
    event_id text, patient_id text, event_date text, event_type text, medical_provider text, source_system text,
    encounter_id text, care_unit text, lab_code text, lab_value text, lab_unit text,
    _source_system text NOT NULL,
    _batch_id uuid NOT NULL,
    _file_name text NOT NULL,
    _file_path text NOT NULL,
    _file_size bigint NOT NULL,
    _file_modification_time timestamptz NOT NULL,
    _row_number bigint NOT NULL,
    _rescued_data jsonb,
    _ingested_at timestamptz NOT NULL DEFAULT now(),
    _pipeline_env text NOT NULL
);

-- Refinement reads a batch at a time. Batch ids are UUIDv7 (time-ordered) and a batch's rows are appended
-- together, so a BRIN index finds them at almost no cost to COPY (a b-tree would cost every inserted row).
CREATE INDEX patients_batch ON patients USING brin (_batch_id);
CREATE INDEX claims_batch ON claims USING brin (_batch_id);
CREATE INDEX medical_events_batch ON medical_events USING brin (_batch_id);
