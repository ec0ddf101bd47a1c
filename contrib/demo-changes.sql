-- demo-changes.sql: a day of changes in the demo source
-- new encounters with observations for the first ten patients
INSERT INTO encounter
SELECT patient_id * 10 + 9, patient_id, 'Outpatient Clinic', 'Adult Visit', NOW(), NOW(), NULL, 0, NULL
FROM patient WHERE patient_id <= 10;
INSERT INTO obs
SELECT e.encounter_id * 10 + 1, e.encounter_id, e.patient_id, 'WEIGHT (KG)', 70.5, NULL,
       NOW(), NOW(), 0, NULL
FROM encounter e WHERE e.encounter_id % 10 = 9;
-- an observation entered by mistake is voided
UPDATE obs SET voided = 1, date_voided = NOW() WHERE obs_id = 111;
-- a patient is renamed
UPDATE patient SET family_name = 'Odhiambo', date_changed = NOW() WHERE patient_id = 2;
