-- flattened_observations of a group of sites: one row per observation of a
-- site with its patient, its encounter (with the encounter's own location:
-- encounter_location_id), its place, the concept's name and the value both
-- typed and as text (`value`). As sql/openmrs/flat/flattened_observations.sql,
-- with every row keyed by (site, obs_id) and every join made on the site as
-- well as the id: ids are a site's own, and the obs of one site never meet
-- the encounter, patient or location of another with the same id.
--
-- Incremental: `changed` holds the observations whose row changed since
-- ${since}, then (`touched`) those whose encounter, patient or location did
-- and whose own row did not. Voided observations, and those of a site that
-- left the group, are removed by chacc itself: this table has the key of
-- observations and follows its deletes. In a full build ${since} is NULL,
-- `touched` is empty and `changed` holds every observation, read as they
-- are: with keys as wide as (site, obs_id), a UNION that removes duplicates
-- over every observation costs more than the rest of the query.
WITH touched AS (
  SELECT o.site, o.obs_id FROM encounters e
  JOIN observations o ON o.site = e.site AND o.encounter_id = e.encounter_id
  WHERE e._chacc_changed_at > ${since}
  UNION
  SELECT o.site, o.obs_id FROM patients p
  JOIN observations o ON o.site = p.site AND o.person_id = p.patient_id
  WHERE p._chacc_changed_at > ${since}
  UNION
  SELECT o.site, o.obs_id FROM locations l
  JOIN observations o ON o.site = l.site AND o.location_id = l.location_id
  WHERE l._chacc_changed_at > ${since}
),
changed AS (
  SELECT site, obs_id FROM observations
  WHERE ${since} IS NULL OR _chacc_changed_at > ${since}
  UNION ALL
  SELECT t.site, t.obs_id FROM touched t
  JOIN observations o ON o.site = t.site AND o.obs_id = t.obs_id
  WHERE o._chacc_changed_at <= ${since}
)
SELECT o.site,
       o.obs_id,
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
JOIN observations o ON o.site = k.site AND o.obs_id = k.obs_id
LEFT JOIN encounters e ON e.site = o.site AND e.encounter_id = o.encounter_id
LEFT JOIN patients p ON p.site = o.site AND p.patient_id = o.person_id
LEFT JOIN locations l ON l.site = o.site AND l.location_id = o.location_id
