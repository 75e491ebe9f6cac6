-- Gold applies a refined batch by finding its claims and events by _batch_id (services/GoldModeling, Facts/FactDelta.cs):
-- without these indexes every batch scans the whole table (over a second at a million patients).
CREATE INDEX claims_batch ON silver.claims (_batch_id);
CREATE INDEX medical_events_batch ON silver.medical_events (_batch_id);
