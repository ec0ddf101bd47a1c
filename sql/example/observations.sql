-- obs has no date_changed: a row changes by being voided (and replaced)
SELECT obs_id, encounter_id, person_id, concept, value_numeric, value_text, obs_datetime,
       voided, GREATEST(date_created, COALESCE(date_voided, date_created)) AS changed_at
FROM obs
