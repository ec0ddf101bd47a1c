-- encounters: a renamed visit type reaches the encounters of its visits
SELECT e.encounter_id FROM encounter e JOIN visit v ON v.visit_id = e.visit_id
WHERE v.visit_type_id = ${row.visit_type_id}
