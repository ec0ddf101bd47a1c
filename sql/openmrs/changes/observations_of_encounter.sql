-- observations: a changed encounter reaches its obs
SELECT obs_id FROM obs WHERE encounter_id = ${row.encounter_id}
