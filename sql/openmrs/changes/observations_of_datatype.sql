-- observations: a renamed concept datatype reaches the obs of its concepts
SELECT o.obs_id FROM obs o JOIN concept c ON c.concept_id = o.concept_id
WHERE c.datatype_id = ${row.concept_datatype_id}
