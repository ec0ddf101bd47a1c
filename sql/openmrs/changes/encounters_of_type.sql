-- encounters: a renamed encounter type reaches the encounters of that type
SELECT encounter_id FROM encounter WHERE encounter_type = ${row.encounter_type_id}
