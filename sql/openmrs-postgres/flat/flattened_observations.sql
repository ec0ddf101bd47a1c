-- flattened_observations: one row per observation with its patient, its
-- encounter (with the encounter's own location: encounter_location_id), its
-- place, the concept's name and the value both typed and as
-- text ("value"). The PostgreSQL spelling of
-- sql/openmrs/flat/flattened_observations.sql: the same columns and rows.
--
-- Incremental: "changed" holds the observations whose row changed since
-- ${since}, or whose encounter, patient or location did (a renamed patient
-- flows into every one of its observations). Voided observations are removed
-- by chacc itself: this table has the key of observations and follows its
-- deletes. In a full build ${since} is NULL and "changed" holds every
-- observation.
--
-- age_at_obs counts whole years, as MariaDB's TIMESTAMPDIFF(YEAR, ...) does.
-- "value" spells a number as MariaDB's CAST(... AS CHAR) does: the same
-- shortest digits as PostgreSQL's text, with an exponent only from 1e15 up
-- and below 1e-15 (1.5e15, 1e-16; PostgreSQL writes 1.5e+15, 1.25e-07 for
-- 0.000000125).
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
       concat_ws(' ', p.given_name, p.middle_name, p.family_name) AS patient_name,
       p.gender,
       CAST(date_part('year', age(o.obs_datetime, p.birthdate)) AS bigint) AS age_at_obs,
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
       COALESCE(CASE WHEN n.e IS NULL THEN n.s
                     WHEN n.e >= 15 OR n.e <= -16 THEN replace(n.s, 'e+', 'e')
                     ELSE CASE WHEN n.s LIKE '-%' THEN '-' ELSE '' END || '0.' ||
                          repeat('0', -n.e - 1) ||
                          translate(split_part(n.s, 'e', 1), '-.', '') END,
                o.value_coded_name, o.value_text, CAST(o.value_datetime AS text)) AS value
FROM changed k
JOIN observations o ON o.obs_id = k.obs_id
CROSS JOIN LATERAL (
  SELECT CAST(o.value_numeric AS text) AS s,
         CAST(NULLIF(split_part(CAST(o.value_numeric AS text), 'e', 2), '') AS integer) AS e) n
LEFT JOIN encounters e ON e.encounter_id = o.encounter_id
LEFT JOIN patients p ON p.patient_id = o.person_id
LEFT JOIN locations l ON l.location_id = o.location_id
