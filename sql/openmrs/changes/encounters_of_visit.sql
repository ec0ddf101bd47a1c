-- encounters: a changed visit reaches its encounters
SELECT encounter_id FROM encounter WHERE visit_id = ${row.visit_id}
