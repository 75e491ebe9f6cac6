-- gold: the star schema for analytics (services/GoldModeling/README.md documents every table and its grain).
-- gold.dim_patients (SCD type 2), gold.fact_claims and gold.fact_medical_events, and the marts behind the dashboards.
-- Everything here is a function of silver and of gold.patient_record_versions (the history silver does not keep),
-- so that POST /api/gold/rebuild gives exactly the tables the incremental path gives.
CREATE SCHEMA IF NOT EXISTS gold;

COMMENT ON SCHEMA gold IS
    'Gold layer: dimensions, facts and marts (owned by the gold-modeling service).';

-- Silver batches applied to gold, so that a redelivered SilverBatchRefined changes nothing and the sweep finds the
-- batches whose event never came, or whose GoldModelUpdated was never published.
CREATE TABLE gold.batches (
    batch_id          uuid        PRIMARY KEY,
    entity            text        NOT NULL,
    affected_patients bigint      NOT NULL,
    tables_refreshed  text[]      NOT NULL,
    applied_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    duration_ms       integer     NOT NULL,
    published_at      timestamptz
);

CREATE INDEX batches_unpublished ON gold.batches (applied_at) WHERE published_at IS NULL;

-- Every version of every source patient record gold has seen, keyed by the source's own timestamp. Silver keeps only
-- the latest version of a source record (a newer one replaces it in place), so this log is where history lives: it is
-- appended to from silver.patient_records and never rebuilt. valid_from is the source timestamp (-infinity when the
-- source sent none: known from the start).
CREATE TABLE gold.patient_record_versions (
    source_system       text          NOT NULL,
    source_patient_id   text          NOT NULL,
    valid_from          timestamptz   NOT NULL,
    age_years           smallint,
    sex                 char(1)       NOT NULL,
    region              text,
    zip3                char(3),
    bmi                 numeric(4, 1),
    smoker              boolean,
    children            smallint,
    charges             numeric(12, 2),
    insurance_plan      text,
    coverage_start_date date,
    -- Survivorship's tie-break between records of one source updated at the same time (then match probability).
    data_quality_score  numeric(4, 3) NOT NULL,
    PRIMARY KEY (source_system, source_patient_id, valid_from)
);

-- Gold's view of which source record belongs to which resolved patient: compared with silver.patient_identity_map to
-- find the patients whose membership a batch changed (identity resolution re-points records of earlier batches).
CREATE TABLE gold.patient_members (
    source_system     text NOT NULL,
    source_patient_id text NOT NULL,
    patient_id        text NOT NULL,
    PRIMARY KEY (source_system, source_patient_id)
);

CREATE INDEX patient_members_patient ON gold.patient_members (patient_id);

-- SCD type 2. Grain: one row per patient and period in which its golden record (survivorship over its source records'
-- versions as of that time) did not change. [effective_from, effective_to) intervals are contiguous, effective_to is
-- 'infinity' for the current version, exactly one current version per live patient; an absorbed (merged) patient's
-- versions are all closed. patient_sk is a hash of (patient_id, effective_from): the same version gets the same key in
-- every run, so facts keep their keys and a rebuild gives exactly the same table.
CREATE TABLE gold.dim_patients (
    patient_sk          bigint        PRIMARY KEY,
    patient_id          text          NOT NULL,
    age_years           smallint,
    age_band            text          NOT NULL,
    sex                 char(1)       NOT NULL,
    region              text          NOT NULL,
    zip3                char(3),
    bmi                 numeric(4, 1),
    smoker              boolean,
    children            smallint,
    charges             numeric(12, 2),
    insurance_plan      text          NOT NULL,
    coverage_start_date date,
    effective_from      timestamptz   NOT NULL,
    effective_to        timestamptz   NOT NULL,
    is_current          boolean       NOT NULL,
    CHECK (effective_from < effective_to),
    CHECK (is_current = (effective_to = 'infinity'))
);

CREATE UNIQUE INDEX dim_patients_version ON gold.dim_patients (patient_id, effective_from);
CREATE UNIQUE INDEX dim_patients_current ON gold.dim_patients (patient_id) WHERE is_current;

-- Grain: one row per silver claim. patient_sk is the patient's version in effect at the start of the claim date (the
-- first version for a claim dated before it); region, plan and age band are that version's, so that marts group by
-- the patient as they were when the claim was made.
CREATE TABLE gold.fact_claims (
    claim_id          text          PRIMARY KEY,
    patient_id        text          NOT NULL,
    patient_sk        bigint        NOT NULL,
    claim_amount      numeric(12, 2) NOT NULL,
    claim_date        date          NOT NULL,
    claim_month       date          NOT NULL,
    claim_year        smallint      NOT NULL,
    diagnosis_code    text          NOT NULL,
    diagnosis_chapter text          NOT NULL,
    procedure_code    text          NOT NULL,
    claim_status      text          NOT NULL,
    claim_category    text          NOT NULL,
    region            text          NOT NULL,
    insurance_plan    text          NOT NULL,
    age_band          text          NOT NULL
);

CREATE INDEX fact_claims_patient ON gold.fact_claims (patient_id, claim_date);
CREATE INDEX fact_claims_month ON gold.fact_claims (claim_month);

-- Grain: one row per silver medical event; patient_sk as for claims, at the event's timestamp.
CREATE TABLE gold.fact_medical_events (
    event_id            text          PRIMARY KEY,
    patient_id          text          NOT NULL,
    patient_sk          bigint        NOT NULL,
    event_date          timestamptz   NOT NULL,
    event_month         date          NOT NULL,
    event_year          smallint      NOT NULL,
    event_week          date          NOT NULL,
    event_type          text          NOT NULL,
    event_category      text          NOT NULL,
    medical_provider    text          NOT NULL,
    encounter_id        text,
    care_unit           text,
    length_of_stay_days numeric(6, 2),
    lab_code            text,
    lab_value           numeric(14, 4),
    lab_unit            text,
    region              text          NOT NULL,
    insurance_plan      text          NOT NULL,
    age_band            text          NOT NULL
);

CREATE INDEX fact_medical_events_patient ON gold.fact_medical_events (patient_id, event_date);
CREATE INDEX fact_medical_events_month ON gold.fact_medical_events (event_month);

-- Marts. The additive ones are maintained by deltas (a changed fact row takes its old contribution out and puts its
-- new one in), so a batch costs what it touched, not what the table holds; a row whose count reaches 0 is deleted.

-- Claims cost analysis. Grain: claim year x diagnosis chapter x procedure code x claim status x insurance plan (a year,
-- not a month: procedure codes make the month grain as large as a table of claims).
CREATE TABLE gold.mart_claims_cost (
    claim_year        smallint      NOT NULL,
    diagnosis_chapter text          NOT NULL,
    procedure_code    text          NOT NULL,
    claim_status      text          NOT NULL,
    insurance_plan    text          NOT NULL,
    claims            bigint        NOT NULL,
    total_amount      numeric(16, 2) NOT NULL,
    PRIMARY KEY (claim_year, diagnosis_chapter, procedure_code, claim_status, insurance_plan)
);

-- The same over all years (grain: diagnosis chapter x procedure code x claim status x insurance plan), so that the
-- dashboard's default, unfiltered view reads a few thousand rows instead of adding up every year's.
CREATE TABLE gold.mart_claims_cost_all_years (
    diagnosis_chapter text          NOT NULL,
    procedure_code    text          NOT NULL,
    claim_status      text          NOT NULL,
    insurance_plan    text          NOT NULL,
    claims            bigint        NOT NULL,
    total_amount      numeric(16, 2) NOT NULL,
    PRIMARY KEY (diagnosis_chapter, procedure_code, claim_status, insurance_plan)
);

CREATE INDEX mart_claims_cost_all_years_amount ON gold.mart_claims_cost_all_years (total_amount DESC);

-- Monthly financial performance (also behind revenue by age group, region cost summary and insurance plan summary).
-- Grain: claim month x region x insurance plan x age band.
CREATE TABLE gold.mart_monthly_financials (
    claim_month      date          NOT NULL,
    region           text          NOT NULL,
    insurance_plan   text          NOT NULL,
    age_band         text          NOT NULL,
    claims           bigint        NOT NULL,
    claimed_amount   numeric(16, 2) NOT NULL,
    submitted_claims bigint        NOT NULL,
    approved_claims  bigint        NOT NULL,
    denied_claims    bigint        NOT NULL,
    paid_claims      bigint        NOT NULL,
    approved_amount  numeric(16, 2) NOT NULL,
    denied_amount    numeric(16, 2) NOT NULL,
    paid_amount      numeric(16, 2) NOT NULL,
    PRIMARY KEY (claim_month, region, insurance_plan, age_band)
);

-- Healthcare utilization patterns. Grain: event month x region x insurance plan x age band.
CREATE TABLE gold.mart_utilization (
    event_month    date          NOT NULL,
    region         text          NOT NULL,
    insurance_plan text          NOT NULL,
    age_band       text          NOT NULL,
    events         bigint        NOT NULL,
    admissions     bigint        NOT NULL,
    discharges     bigint        NOT NULL,
    transfers      bigint        NOT NULL,
    lab_results    bigint        NOT NULL,
    vital_signs    bigint        NOT NULL,
    stays          bigint        NOT NULL,
    stay_days      numeric(16, 2) NOT NULL,
    PRIMARY KEY (event_month, region, insurance_plan, age_band)
);

-- Weekly event trends. Grain: ISO week (its Monday) x event type.
CREATE TABLE gold.mart_weekly_events (
    event_week date   NOT NULL,
    event_type text   NOT NULL,
    events     bigint NOT NULL,
    PRIMARY KEY (event_week, event_type)
);

-- Provider performance. Grain: medical provider (all time). patients is distinct, so it is counted from
-- gold.provider_patients (grain: provider x patient), which the deltas keep.
CREATE TABLE gold.provider_patients (
    medical_provider text   NOT NULL,
    patient_id       text   NOT NULL,
    events           bigint NOT NULL,
    PRIMARY KEY (medical_provider, patient_id)
);

CREATE TABLE gold.mart_provider_performance (
    medical_provider text          PRIMARY KEY,
    events           bigint        NOT NULL,
    patients         bigint        NOT NULL,
    admissions       bigint        NOT NULL,
    stays            bigint        NOT NULL,
    stay_days        numeric(16, 2) NOT NULL
);

-- Patient 360. Grain: one row per current patient: de-identified demographics of the current version, risk category
-- (silver's), lifetime claims and utilization, last admission, latest value of each lab code. Recomputed for the
-- patients a batch touched. Top-N expensive patients reads it by claims_total.
CREATE TABLE gold.mart_patient_360 (
    patient_id            text          PRIMARY KEY,
    patient_sk            bigint        NOT NULL,
    age_years             smallint,
    age_band              text          NOT NULL,
    sex                   char(1)       NOT NULL,
    region                text          NOT NULL,
    zip3                  char(3),
    insurance_plan        text          NOT NULL,
    bmi                   numeric(4, 1),
    smoker                boolean,
    risk_category         text          NOT NULL,
    claims                bigint        NOT NULL,
    claims_total          numeric(16, 2) NOT NULL,
    approved_total        numeric(16, 2) NOT NULL,
    paid_total            numeric(16, 2) NOT NULL,
    denied_claims         bigint        NOT NULL,
    first_claim_date      date,
    last_claim_date       date,
    events                bigint        NOT NULL,
    admissions            bigint        NOT NULL,
    lab_results           bigint        NOT NULL,
    stay_days             numeric(16, 2) NOT NULL,
    last_admission_at     timestamptz,
    last_admission_provider text,
    latest_labs           jsonb         NOT NULL
);

CREATE INDEX mart_patient_360_cost ON gold.mart_patient_360 (claims_total DESC, patient_id);
CREATE INDEX mart_patient_360_filters ON gold.mart_patient_360 (region, insurance_plan, age_band);

-- Patient risk stratification (patient risk distribution reads it too). Grain: risk category x region x insurance plan
-- x age band, over current patients.
CREATE TABLE gold.mart_risk_stratification (
    risk_category  text          NOT NULL,
    region         text          NOT NULL,
    insurance_plan text          NOT NULL,
    age_band       text          NOT NULL,
    patients       bigint        NOT NULL,
    smokers        bigint        NOT NULL,
    claims         bigint        NOT NULL,
    claims_total   numeric(16, 2) NOT NULL,
    admissions     bigint        NOT NULL,
    PRIMARY KEY (risk_category, region, insurance_plan, age_band)
);

-- HIPAA compliance summary. Grain: one row per check the quality monitor makes of gold; recomputed by every batch.
CREATE TABLE gold.mart_hipaa_compliance (
    check_name  text    PRIMARY KEY,
    description text    NOT NULL,
    checked     bigint  NOT NULL,
    violations  bigint  NOT NULL
);

-- Age bands of the marts (Safe Harbor ages: 90 stands for 90 and over).
CREATE FUNCTION gold.age_band(age_years smallint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN age_years IS NULL THEN 'unknown'
        WHEN age_years < 18 THEN '0-17'
        WHEN age_years < 35 THEN '18-34'
        WHEN age_years < 50 THEN '35-49'
        WHEN age_years < 65 THEN '50-64'
        WHEN age_years < 75 THEN '65-74'
        ELSE '75+'
    END
$$;

-- The ICD-10-CM chapter of a (validated) diagnosis code, from its letter and first two digits.
CREATE FUNCTION gold.icd10_chapter(code text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN code < 'C' THEN 'A00-B99 Infectious and parasitic'
        WHEN code < 'D5' THEN 'C00-D49 Neoplasms'
        WHEN code < 'E' THEN 'D50-D89 Blood and immune'
        WHEN code < 'F' THEN 'E00-E89 Endocrine and metabolic'
        WHEN code < 'G' THEN 'F01-F99 Mental and behavioural'
        WHEN code < 'H' THEN 'G00-G99 Nervous system'
        WHEN code < 'H6' THEN 'H00-H59 Eye'
        WHEN code < 'I' THEN 'H60-H95 Ear'
        WHEN code < 'J' THEN 'I00-I99 Circulatory'
        WHEN code < 'K' THEN 'J00-J99 Respiratory'
        WHEN code < 'L' THEN 'K00-K95 Digestive'
        WHEN code < 'M' THEN 'L00-L99 Skin'
        WHEN code < 'N' THEN 'M00-M99 Musculoskeletal'
        WHEN code < 'O' THEN 'N00-N99 Genitourinary'
        WHEN code < 'P' THEN 'O00-O9A Pregnancy'
        WHEN code < 'Q' THEN 'P00-P96 Perinatal'
        WHEN code < 'R' THEN 'Q00-Q99 Congenital'
        WHEN code < 'S' THEN 'R00-R99 Symptoms and findings'
        WHEN code < 'U' THEN 'S00-T88 Injury and poisoning'
        WHEN code < 'V' THEN 'U00-U85 Special purposes'
        WHEN code < 'Z' THEN 'V00-Y99 External causes'
        ELSE 'Z00-Z99 Health status and services'
    END
$$;
