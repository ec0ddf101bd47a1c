-- encounters: a renamed location reaches the encounters there
SELECT encounter_id FROM encounter WHERE location_id = ${row.location_id}
