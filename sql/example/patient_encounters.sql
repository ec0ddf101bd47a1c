-- one row per encounter with the patient's name: incremental by the change
-- stamps of both inputs
SELECT e.encounter_id, e.patient_id, CONCAT(p.given_name, ' ', p.family_name) AS patient_name,
       p.gender, e.location, e.encounter_type, e.encounter_datetime
FROM encounters e
JOIN patients p ON p.patient_id = e.patient_id
WHERE ${since} IS NULL
   OR e._chacc_changed_at > ${since}
   OR p._chacc_changed_at > ${since}
