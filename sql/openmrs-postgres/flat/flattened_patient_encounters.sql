-- flattened_patient_encounters: one row per encounter with its patient, its
-- place, and what was recorded in it (from flattened_observations): the
-- number of observations, the vitals (CIEL concepts, found by uuid) and the
-- coded diagnoses. The PostgreSQL spelling of
-- sql/openmrs/flat/flattened_patient_encounters.sql: the same columns and rows.
--
-- Incremental: "changed" holds the encounters to recompute: those whose row
-- changed since ${since}, or whose patient or location did (a renamed patient
-- flows into every one of its encounters), or that gained, changed or lost an
-- observation (lost ones are in etl_deletes, whose row_json is JSON text).
-- Voided encounters are removed by chacc itself: this table has the key of
-- encounters and follows its deletes. In a full build ${since} is NULL and
-- "changed" holds every encounter.
--
-- The diagnoses are the distinct names joined by '; ', in the order MariaDB's
-- GROUP_CONCAT(DISTINCT ... ORDER BY ... SEPARATOR '; ') gives them in its
-- utf8mb4_general_ci collation: by the names in upper case, byte for byte
-- (the same for names in ASCII).
WITH changed AS (
  SELECT encounter_id FROM encounters
  WHERE ${since} IS NULL OR _chacc_changed_at > ${since}
  UNION
  SELECT e.encounter_id FROM patients p JOIN encounters e ON e.patient_id = p.patient_id
  WHERE p._chacc_changed_at > ${since}
  UNION
  SELECT e.encounter_id FROM locations l JOIN encounters e ON e.location_id = l.location_id
  WHERE l._chacc_changed_at > ${since}
  UNION
  SELECT encounter_id FROM flattened_observations
  WHERE _chacc_changed_at > ${since} AND encounter_id IS NOT NULL
  UNION
  SELECT CAST(CAST(row_json AS jsonb) ->> 'encounter_id' AS integer) FROM etl_deletes
  WHERE target = 'flattened_observations' AND deleted_at > ${since}
),
recorded AS (
  SELECT o.encounter_id,
         COUNT(*) AS observations,
         MAX(CASE WHEN o.concept_uuid = '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS weight_kg,
         MAX(CASE WHEN o.concept_uuid = '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS height_cm,
         MAX(CASE WHEN o.concept_uuid = '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS temperature_c,
         MAX(CASE WHEN o.concept_uuid = '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS systolic_bp,
         MAX(CASE WHEN o.concept_uuid = '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS diastolic_bp,
         MAX(CASE WHEN o.concept_uuid = '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS pulse,
         MAX(CASE WHEN o.concept_uuid = '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS respiratory_rate,
         MAX(CASE WHEN o.concept_uuid = '5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN o.value_numeric END) AS oxygen_saturation
  FROM changed k
  JOIN flattened_observations o ON o.encounter_id = k.encounter_id
  GROUP BY o.encounter_id
),
diagnosed AS (
  SELECT d.encounter_id,
         string_agg(d.name, '; ' ORDER BY upper(d.name) COLLATE "C", d.name COLLATE "C")
           AS diagnoses
  FROM (SELECT DISTINCT o.encounter_id, o.value_coded_name AS name
        FROM changed k
        JOIN flattened_observations o ON o.encounter_id = k.encounter_id
        WHERE o.concept_uuid = '1284AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
          AND o.value_coded_name IS NOT NULL) d
  GROUP BY d.encounter_id
)
SELECT e.encounter_id,
       e.encounter_type,
       e.encounter_datetime,
       e.visit_id,
       e.visit_type,
       e.patient_id,
       p.identifier,
       concat_ws(' ', p.given_name, p.middle_name, p.family_name) AS patient_name,
       p.gender,
       p.birthdate,
       CAST(date_part('year', age(e.encounter_datetime, p.birthdate)) AS bigint) AS age_at_encounter,
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
       g.diagnoses
FROM changed k
JOIN encounters e ON e.encounter_id = k.encounter_id
LEFT JOIN patients p ON p.patient_id = e.patient_id
LEFT JOIN locations l ON l.location_id = e.location_id
LEFT JOIN recorded r ON r.encounter_id = e.encounter_id
LEFT JOIN diagnosed g ON g.encounter_id = e.encounter_id
