-- A batch moves thousands of rows of each additive mart (a batch of 100,000 claims: 27,000 claims cost rows). Their
-- indexes are their keys, which a move never changes: with room on each page for the new row version, every such
-- update is heap-only (no new index entry). The all-years claims cost is left as it is: its amount index changes with
-- every move. A rebuild refills the marts, so it gives every page its room.
ALTER TABLE gold.mart_claims_cost SET (fillfactor = 70);
ALTER TABLE gold.mart_monthly_financials SET (fillfactor = 70);
ALTER TABLE gold.mart_utilization SET (fillfactor = 70);
ALTER TABLE gold.mart_weekly_events SET (fillfactor = 70);
ALTER TABLE gold.mart_provider_performance SET (fillfactor = 70);
ALTER TABLE gold.mart_risk_stratification SET (fillfactor = 70);
