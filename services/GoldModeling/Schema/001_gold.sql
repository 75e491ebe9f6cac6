-- gold: the star schema for analytics: gold.dim_patients (SCD type 2), gold.fact_claims and
-- gold.fact_medical_events, and the marts behind the dashboards (risk distribution, claims cost,
-- utilization, monthly financials, provider performance, HIPAA compliance, risk stratification,
-- executive KPIs, patient 360).
CREATE SCHEMA IF NOT EXISTS gold;

COMMENT ON SCHEMA gold IS
    'Gold layer: dimensions, facts and marts (owned by the gold-modeling service).';
