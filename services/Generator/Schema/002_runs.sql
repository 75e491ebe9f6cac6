-- Runs (what was asked, when, how it went), the landing files each wrote (the outbox of LandingFileCreated:
-- published_at stays NULL until the event is out) and the ground truth of every run (row labels and identities),
-- so that tests and the quality monitor can measure what the pipeline found against what was injected.
CREATE TABLE generator.runs (
    run_id          uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('full', 'increment')),
    status          text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    patients        integer NOT NULL,
    seed            integer NOT NULL,
    as_of           timestamptz NOT NULL,
    options         jsonb NOT NULL,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    heartbeat_at    timestamptz,
    completed_at    timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    rows_written    bigint,
    bytes_written   bigint,
    defect_counts   jsonb,
    manifest_path   text,
    error           text
);

-- One run per as-of minute: file names carry it, two runs in one minute would collide in the landing zone.
CREATE UNIQUE INDEX runs_as_of ON generator.runs (as_of);
CREATE INDEX runs_status ON generator.runs (status, requested_at);

CREATE TABLE generator.files (
    file_id         uuid PRIMARY KEY,
    run_id          uuid NOT NULL REFERENCES generator.runs (run_id) ON DELETE CASCADE,
    path            text NOT NULL UNIQUE,
    entity          text NOT NULL,
    source_system   text NOT NULL,
    rows            bigint NOT NULL,
    size_bytes      bigint NOT NULL,
    sha256          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz
);

CREATE INDEX files_run ON generator.files (run_id);
CREATE INDEX files_unpublished ON generator.files (created_at) WHERE published_at IS NULL;

-- run_id comes from the loading transaction's setting, so that the truth files are COPYed in as they are.
CREATE TABLE generator.row_labels (
    run_id          uuid NOT NULL DEFAULT current_setting('generator.run_id')::uuid REFERENCES generator.runs (run_id) ON DELETE CASCADE,
    file            text NOT NULL,
    row_number      bigint,
    entity          text NOT NULL,
    source_system   text NOT NULL,
    record_key      text,
    label           text NOT NULL,
    detail          text
);

CREATE INDEX row_labels_run ON generator.row_labels (run_id, label);
CREATE INDEX row_labels_row ON generator.row_labels (file, row_number);

CREATE TABLE generator.identities (
    run_id              uuid NOT NULL DEFAULT current_setting('generator.run_id')::uuid REFERENCES generator.runs (run_id) ON DELETE CASCADE,
    person_id           bigint NOT NULL,
    source_system       text NOT NULL,
    source_patient_id   text NOT NULL,
    variation           text,
    lookalike_kind      text,
    lookalike_of        bigint
);

CREATE INDEX identities_source ON generator.identities (source_system, source_patient_id);
CREATE INDEX identities_person ON generator.identities (run_id, person_id);
