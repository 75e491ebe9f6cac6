-- The facts are read by patient (patient 360's last-12-months claims, a batch's patients) and by key (the signed
-- delta): no query reads them by month, since the query API answers monthly questions from the marts. The month
-- indexes cost every rebuild about 3 s at a million patients and every fact insert a third index entry, for nothing.
DROP INDEX gold.fact_claims_month;
DROP INDEX gold.fact_medical_events_month;

-- A correction changes a fact's amount or status, never its key, patient or date: with a tenth of each page kept
-- free, the new row version fits on its page and none of the indexes needs an entry for it (a heap-only update).
-- New pages honour it; a rebuild refills the tables, so a rebuild gives every page its room.
ALTER TABLE gold.fact_claims SET (fillfactor = 90);
ALTER TABLE gold.fact_medical_events SET (fillfactor = 90);
