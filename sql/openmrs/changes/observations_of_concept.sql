-- observations: a changed concept, or one of its names, reaches the obs of it
-- and the obs answered with it
SELECT obs_id FROM obs WHERE concept_id = ${row.concept_id}
UNION
SELECT obs_id FROM obs WHERE value_coded = ${row.concept_id}
