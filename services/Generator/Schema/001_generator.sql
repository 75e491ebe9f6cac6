-- generator: what the synthetic-data generator has produced, so that a restarted generator knows which
-- landing files it already wrote (and announced) for a seed: runs (seed, sizes, time) and files (path,
-- entity, source system, size, sha256, published_at), the poor man's outbox of LandingFileCreated.
CREATE SCHEMA IF NOT EXISTS generator;

COMMENT ON SCHEMA generator IS
    'Generator runs and the landing files they wrote (owned by the generator service).';
