-- the extract, read through indexes: OpenMRS obs never change in place (an edit voids the row and adds a
-- new one), so a row changed when it was created or voided
-- (needs indexes on date_created and date_voided, which OpenMRS does not have)
SELECT obs_id, person_id, concept_id, encounter_id, order_id, obs_datetime, location_id,
       obs_group_id, accession_number, value_group_id, value_coded, value_coded_name_id,
       value_drug, value_datetime, value_numeric, value_modifier, value_text, value_complex,
       comments, creator, date_created, voided, voided_by, date_voided, void_reason, uuid,
       previous_version, form_namespace_and_path, status, interpretation,
       GREATEST(date_created, COALESCE(date_voided, date_created)) AS changed_at
FROM obs
WHERE ${since} IS NULL OR date_created >= ${since} OR date_voided >= ${since}
