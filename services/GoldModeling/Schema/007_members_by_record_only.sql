-- Gold compares its members with silver's map by source record only (its key): no statement looks a member up by
-- patient. The index by patient cost every rebuild its build over 2.1 million members at a million patients, and every
-- batch its upkeep, for nothing.
DROP INDEX gold.patient_members_patient;
