-- features: the offline feature store: feature view definitions and their rows keyed by patient_id with an
-- event timestamp per row (so training sets are point-in-time correct), and materialization runs. The
-- online copy of the latest values lives in Redis.
CREATE SCHEMA IF NOT EXISTS features;

COMMENT ON SCHEMA features IS
    'Offline feature store: feature views over gold, point-in-time rows (owned by the feature-store service).';
