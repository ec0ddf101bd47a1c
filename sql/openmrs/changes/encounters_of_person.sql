-- encounters: a voided (or unvoided) person reaches its encounters
SELECT encounter_id FROM encounter WHERE patient_id = ${row.person_id}
