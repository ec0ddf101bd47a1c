-- patients: a renamed identifier type reaches the patients with an identifier of it
SELECT DISTINCT patient_id FROM patient_identifier
WHERE identifier_type = ${row.patient_identifier_type_id}
