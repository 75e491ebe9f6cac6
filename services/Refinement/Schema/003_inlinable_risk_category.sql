-- risk_category as one expression without FROM, so that Postgres inlines it into the statements that call it: the
-- first version's sub-select made every call go through the SQL-function executor, about 30 µs a row.
-- Same rule (services/Refinement/README.md): 0-1 LOW, 2-3 MEDIUM, 4+ HIGH.
CREATE OR REPLACE FUNCTION risk_category(age_years smallint, bmi numeric, smoker boolean, claims_total numeric)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (ARRAY['LOW', 'LOW', 'MEDIUM', 'MEDIUM', 'HIGH'])[1 + least(4,
          CASE WHEN age_years >= 65 THEN 2 WHEN age_years >= 45 THEN 1 ELSE 0 END
        + CASE WHEN bmi >= 30 THEN 2 WHEN bmi >= 25 THEN 1 ELSE 0 END
        + CASE WHEN smoker THEN 2 ELSE 0 END
        + CASE WHEN claims_total >= 50000 THEN 2 WHEN claims_total >= 10000 THEN 1 ELSE 0 END)]
$$;
