-- flattened_patient_encounters of a group of sites: one row per encounter of
-- a site with its patient, its place, and what was recorded in it (from
-- flattened_observations): the number of observations, the vitals (CIEL
-- concepts, found by uuid) and the coded diagnoses. As
-- sql/openmrs/flat/flattened_patient_encounters.sql, keyed by (site,
-- encounter_id) and joined on the site as well as the id.
--
-- Incremental: `changed` holds the encounters to recompute: those whose row
-- changed since ${since}, then (`touched`) those whose own row did not but
-- whose patient or location did, or that gained, changed or lost an
-- observation (lost ones are in etl_deletes, whose rows carry their site).
-- Voided encounters, and those of a site that left the group, are removed
-- by chacc itself: this table has the key of encounters and follows its
-- deletes. In a full build ${since} is NULL, `touched` is empty and
-- `changed` holds every encounter, read as they are (no UNION removing
-- duplicates over keys as wide as (site, encounter_id)), and `recorded`
-- groups flattened_observations in the order of its index on (site,
-- encounter_id).
WITH touched AS (
  SELECT e.site, e.encounter_id FROM patients p
  JOIN encounters e ON e.site = p.site AND e.patient_id = p.patient_id
  WHERE p._chacc_changed_at > ${since}
  UNION
  SELECT e.site, e.encounter_id FROM locations l
  JOIN encounters e ON e.site = l.site AND e.location_id = l.location_id
  WHERE l._chacc_changed_at > ${since}
  UNION
  SELECT site, encounter_id FROM flattened_observations
  WHERE _chacc_changed_at > ${since} AND encounter_id IS NOT NULL
  UNION
  SELECT JSON_VALUE(row_json, '$.site'),
         CAST(JSON_VALUE(row_json, '$.encounter_id') AS SIGNED) FROM etl_deletes
  WHERE target = 'flattened_observations' AND deleted_at > ${since}
),
changed AS (
  SELECT site, encounter_id FROM encounters
  WHERE ${since} IS NULL OR _chacc_changed_at > ${since}
  UNION ALL
  SELECT t.site, t.encounter_id FROM touched t
  JOIN encounters e ON e.site = t.site AND e.encounter_id = t.encounter_id
  WHERE e._chacc_changed_at <= ${since}
),
recorded AS (
  SELECT o.site,
         o.encounter_id,
         COUNT(*) AS observations,
         MAX(CASE WHEN o.concept_uuid = '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS weight_kg,
         MAX(CASE WHEN o.concept_uuid = '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS height_cm,
         MAX(CASE WHEN o.concept_uuid = '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS temperature_c,
         MAX(CASE WHEN o.concept_uuid = '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS systolic_bp,
         MAX(CASE WHEN o.concept_uuid = '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS diastolic_bp,
         MAX(CASE WHEN o.concept_uuid = '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS pulse,
         MAX(CASE WHEN o.concept_uuid = '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS respiratory_rate,
         MAX(CASE WHEN o.concept_uuid = '5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS oxygen_saturation,
         GROUP_CONCAT(DISTINCT IF(o.concept_uuid = '1284AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                                  o.value_coded_name, NULL)
                      ORDER BY IF(o.concept_uuid = '1284AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                                  o.value_coded_name, NULL)
                      SEPARATOR '; ') AS diagnoses
  FROM flattened_observations o
  WHERE ${since} IS NULL
     OR (o.site, o.encounter_id) IN (SELECT site, encounter_id FROM changed)
  GROUP BY o.site, o.encounter_id
)
SELECT e.site,
       e.encounter_id,
       e.encounter_type,
       e.encounter_datetime,
       e.visit_id,
       e.visit_type,
       e.patient_id,
       p.identifier,
       CONCAT_WS(' ', p.given_name, p.middle_name, p.family_name) AS patient_name,
       p.gender,
       p.birthdate,
       TIMESTAMPDIFF(YEAR, p.birthdate, e.encounter_datetime) AS age_at_encounter,
       e.location_id,
       l.name AS location_name,
       l.parent_location_name,
       COALESCE(r.observations, 0) AS observations,
       r.weight_kg,
       r.height_cm,
       r.temperature_c,
       r.systolic_bp,
       r.diastolic_bp,
       r.pulse,
       r.respiratory_rate,
       r.oxygen_saturation,
       r.diagnoses
FROM changed k
JOIN encounters e ON e.site = k.site AND e.encounter_id = k.encounter_id
LEFT JOIN patients p ON p.site = e.site AND p.patient_id = e.patient_id
LEFT JOIN locations l ON l.site = e.site AND l.location_id = e.location_id
LEFT JOIN recorded r ON r.site = e.site AND r.encounter_id = e.encounter_id
