-- flattened_observations: one row per observation with its patient, its
-- encounter (with the encounter's own location: encounter_location_id), its
-- place, the concept's name and the value both typed and as
-- text (`value`).
--
-- Incremental: `changed` holds the observations whose row changed since
-- ${since}, or whose encounter, patient or location did (a renamed patient
-- flows into every one of its observations). Voided observations are removed
-- by chacc itself: this table has the key of observations and follows its
-- deletes. In a full build ${since} is NULL and `changed` holds every
-- observation.
WITH changed AS (
  SELECT obs_id FROM observations
  WHERE ${since} IS NULL OR _chacc_changed_at > ${since}
  UNION
  SELECT o.obs_id FROM encounters e JOIN observations o ON o.encounter_id = e.encounter_id
  WHERE e._chacc_changed_at > ${since}
  UNION
  SELECT o.obs_id FROM patients p JOIN observations o ON o.person_id = p.patient_id
  WHERE p._chacc_changed_at > ${since}
  UNION
  SELECT o.obs_id FROM locations l JOIN observations o ON o.location_id = l.location_id
  WHERE l._chacc_changed_at > ${since}
)
SELECT o.obs_id,
       o.person_id AS patient_id,
       p.identifier,
       CONCAT_WS(' ', p.given_name, p.middle_name, p.family_name) AS patient_name,
       p.gender,
       TIMESTAMPDIFF(YEAR, p.birthdate, o.obs_datetime) AS age_at_obs,
       o.encounter_id,
       e.encounter_type,
       e.encounter_datetime,
       e.visit_id,
       e.location_id AS encounter_location_id,
       o.location_id,
       l.name AS location_name,
       o.obs_datetime,
       o.obs_group_id,
       o.concept_id,
       o.concept_uuid,
       o.concept_name,
       o.concept_datatype,
       o.value_numeric,
       o.value_coded,
       o.value_coded_name,
       o.value_text,
       o.value_datetime,
       COALESCE(CAST(o.value_numeric AS CHAR), o.value_coded_name, o.value_text,
                CAST(o.value_datetime AS CHAR)) AS value
FROM changed k
JOIN observations o ON o.obs_id = k.obs_id
LEFT JOIN encounters e ON e.encounter_id = o.encounter_id
LEFT JOIN patients p ON p.patient_id = o.person_id
LEFT JOIN locations l ON l.location_id = o.location_id
