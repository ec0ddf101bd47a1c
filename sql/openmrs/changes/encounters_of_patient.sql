-- encounters: a voided (or unvoided) patient reaches its encounters
SELECT encounter_id FROM encounter WHERE patient_id = ${row.patient_id}
