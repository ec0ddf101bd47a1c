-- observations: a voided (or unvoided) patient reaches its obs
SELECT obs_id FROM obs WHERE person_id = ${row.patient_id}
