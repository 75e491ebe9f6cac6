-- silver: typed, standardized, de-identified data, one row per business key: silver.patients,
-- silver.claims, silver.medical_events, silver.quarantine (every row that did not make it, with its failed
-- rules) and silver.patient_identity_map. Raw SSNs never arrive here (keyed hash only); the restricted pii
-- schema for identity resolution is separate.
CREATE SCHEMA IF NOT EXISTS silver;

COMMENT ON SCHEMA silver IS
    'Silver layer: typed, standardized, de-identified rows, quarantine and identity map (owned by the refinement service).';
