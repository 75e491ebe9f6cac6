-- quality: expectation results per batch and rule (passed, failed, by severity), data-quality dimension
-- scores over time per layer and entity, and the alerts raised, read by the dashboards.
CREATE SCHEMA IF NOT EXISTS quality;

COMMENT ON SCHEMA quality IS
    'Expectation results, quality scores over time and alerts (owned by the quality-monitor service).';
