-- observations: a voided (or unvoided) person reaches its obs
SELECT obs_id FROM obs WHERE person_id = ${row.person_id}
