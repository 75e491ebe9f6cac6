-- bronze: every row exactly as received from the landing files, nothing ever dropped: bronze.patients,
-- bronze.claims and bronze.medical_events with all business columns as text plus lineage (_source_system,
-- _batch_id, _file_name, _file_path, _file_size, _file_modification_time, _row_number, _rescued_data jsonb,
-- _ingested_at, _pipeline_env), and the ingested files and batches.
CREATE SCHEMA IF NOT EXISTS bronze;

COMMENT ON SCHEMA bronze IS
    'Bronze layer: rows as received from the source systems, with lineage (owned by the ingestion service).';
