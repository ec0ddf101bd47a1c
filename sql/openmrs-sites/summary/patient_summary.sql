-- patient_summary of a group of sites: one row per patient of a site, keyed
-- by (site, patient_id): who, first and last encounter, counts of
-- encounters, visits and observations, and the latest value of each vital
-- sign (CIEL concepts, found by uuid) with the BMI they give. As
-- sql/openmrs/summary/patient_summary.sql, with the site in every key and
-- every join.
--
-- CALL chacc_openmrs_sites_patient_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every patient.
--   since set (incremental): recomputes, in `table`, the rows of the patients
--   touched after `since`: patients, encounters and observations whose
--   _chacc_changed_at is newer, the ones removed since (etl_deletes: voided,
--   or of a site that left the group), and the old patient of an encounter
--   moved to another patient. One transaction.
--
-- patient_summary_seen remembers each encounter's patient as this summary
-- last counted it: when an encounter moves to another patient (a merge), the
-- patient it left is recomputed too.
DROP PROCEDURE IF EXISTS chacc_openmrs_sites_patient_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_sites_patient_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _ps_touched, _ps_encounters, _ps_observations, _ps_vitals,
    _ps_rows;
  CREATE TEMPORARY TABLE _ps_touched (
    site VARCHAR(64) NOT NULL, patient_id INT NOT NULL, PRIMARY KEY (site, patient_id));
  IF since IS NULL THEN
    INSERT INTO _ps_touched SELECT site, patient_id FROM patients;
  ELSE
    INSERT IGNORE INTO _ps_touched
      SELECT site, patient_id FROM patients WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT site, patient_id FROM encounters WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT s.site, s.patient_id FROM encounters e
      JOIN patient_summary_seen s ON s.site = e.site AND s.encounter_id = e.encounter_id
      WHERE e._chacc_changed_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT site, person_id FROM observations WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT JSON_VALUE(row_json, '$.site'),
             CAST(JSON_VALUE(row_json, '$.patient_id') AS SIGNED) FROM etl_deletes
      WHERE target IN ('patients', 'encounters') AND deleted_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT JSON_VALUE(row_json, '$.site'),
             CAST(JSON_VALUE(row_json, '$.person_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'observations' AND deleted_at > since;
  END IF;

  CREATE TEMPORARY TABLE _ps_encounters (
    site VARCHAR(64) NOT NULL, patient_id INT NOT NULL,
    first_encounter_at DATETIME, last_encounter_at DATETIME,
    encounters INT NOT NULL, visits INT NOT NULL, PRIMARY KEY (site, patient_id))
  SELECT e.site, e.patient_id, MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at, COUNT(*) AS encounters,
         COUNT(DISTINCT e.visit_id) AS visits
  FROM _ps_touched k JOIN encounters e ON e.site = k.site AND e.patient_id = k.patient_id
  GROUP BY e.site, e.patient_id;

  CREATE TEMPORARY TABLE _ps_observations (
    site VARCHAR(64) NOT NULL, patient_id INT NOT NULL, observations INT NOT NULL,
    last_observation_at DATETIME, PRIMARY KEY (site, patient_id))
  SELECT o.site, o.person_id AS patient_id, COUNT(*) AS observations,
         MAX(o.obs_datetime) AS last_observation_at
  FROM _ps_touched k JOIN observations o ON o.site = k.site AND o.person_id = k.patient_id
  GROUP BY o.site, o.person_id;

  -- the newest value of each vital: by obs_datetime, then obs_id
  CREATE TEMPORARY TABLE _ps_vitals (
    site VARCHAR(64) NOT NULL, patient_id INT NOT NULL,
    weight_kg DOUBLE, height_cm DOUBLE, temperature_c DOUBLE, systolic_bp DOUBLE,
    diastolic_bp DOUBLE, pulse DOUBLE, respiratory_rate DOUBLE, oxygen_saturation DOUBLE,
    last_vitals_at DATETIME, PRIMARY KEY (site, patient_id))
  SELECT v.site, v.person_id AS patient_id,
         MAX(CASE WHEN v.concept_uuid = '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS weight_kg,
         MAX(CASE WHEN v.concept_uuid = '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS height_cm,
         MAX(CASE WHEN v.concept_uuid = '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS temperature_c,
         MAX(CASE WHEN v.concept_uuid = '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS systolic_bp,
         MAX(CASE WHEN v.concept_uuid = '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS diastolic_bp,
         MAX(CASE WHEN v.concept_uuid = '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS pulse,
         MAX(CASE WHEN v.concept_uuid = '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS respiratory_rate,
         MAX(CASE WHEN v.concept_uuid = '5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' THEN v.value_numeric END) AS oxygen_saturation,
         MAX(v.obs_datetime) AS last_vitals_at
  FROM (
    SELECT o.site, o.person_id, o.concept_uuid, o.value_numeric, o.obs_datetime,
           ROW_NUMBER() OVER (PARTITION BY o.site, o.person_id, o.concept_uuid
                              ORDER BY o.obs_datetime DESC, o.obs_id DESC) AS n
    FROM _ps_touched k
    JOIN observations o ON o.site = k.site AND o.person_id = k.patient_id
    WHERE o.value_numeric IS NOT NULL
      AND o.concept_uuid IN ('5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
  ) v
  WHERE v.n = 1
  GROUP BY v.site, v.person_id;

  CREATE TEMPORARY TABLE _ps_rows (
    site VARCHAR(64) NOT NULL,
    patient_id INT NOT NULL,
    identifier VARCHAR(50) NULL,
    patient_name VARCHAR(160) NULL,
    gender VARCHAR(50) NULL,
    birthdate DATE NULL,
    dead TINYINT(1) NOT NULL DEFAULT 0,
    first_encounter_at DATETIME NULL,
    last_encounter_at DATETIME NULL,
    encounters INT NOT NULL DEFAULT 0,
    visits INT NOT NULL DEFAULT 0,
    observations INT NOT NULL DEFAULT 0,
    last_observation_at DATETIME NULL,
    weight_kg DOUBLE NULL,
    height_cm DOUBLE NULL,
    bmi DOUBLE NULL,
    temperature_c DOUBLE NULL,
    systolic_bp DOUBLE NULL,
    diastolic_bp DOUBLE NULL,
    pulse DOUBLE NULL,
    respiratory_rate DOUBLE NULL,
    oxygen_saturation DOUBLE NULL,
    last_vitals_at DATETIME NULL,
    PRIMARY KEY (site, patient_id),
    KEY (last_encounter_at)
  );
  INSERT INTO _ps_rows
  SELECT p.site, p.patient_id, p.identifier,
         CONCAT_WS(' ', p.given_name, p.middle_name, p.family_name),
         p.gender, p.birthdate, p.dead,
         e.first_encounter_at, e.last_encounter_at, COALESCE(e.encounters, 0),
         COALESCE(e.visits, 0), COALESCE(o.observations, 0), o.last_observation_at,
         v.weight_kg, v.height_cm,
         IF(v.height_cm > 0, ROUND(v.weight_kg / POW(v.height_cm / 100, 2), 1), NULL),
         v.temperature_c, v.systolic_bp, v.diastolic_bp, v.pulse, v.respiratory_rate,
         v.oxygen_saturation, v.last_vitals_at
  FROM _ps_touched k
  JOIN patients p ON p.site = k.site AND p.patient_id = k.patient_id
  LEFT JOIN _ps_encounters e ON e.site = k.site AND e.patient_id = k.patient_id
  LEFT JOIN _ps_observations o ON o.site = k.site AND o.patient_id = k.patient_id
  LEFT JOIN _ps_vitals v ON v.site = k.site AND v.patient_id = k.patient_id;

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    CREATE OR REPLACE TABLE patient_summary_seen (
      site VARCHAR(64) NOT NULL, encounter_id INT NOT NULL, patient_id INT NOT NULL,
      PRIMARY KEY (site, encounter_id))
    SELECT site, encounter_id, patient_id FROM encounters;
  ELSE
    START TRANSACTION;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _ps_touched k USING (site, patient_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    DELETE s FROM patient_summary_seen s
      JOIN etl_deletes d ON d.target = 'encounters' AND d.deleted_at > since
       AND s.site = JSON_VALUE(d.key_json, '$.site')
       AND s.encounter_id = CAST(JSON_VALUE(d.key_json, '$.encounter_id') AS SIGNED);
    INSERT INTO patient_summary_seen (site, encounter_id, patient_id)
      SELECT site, encounter_id, patient_id FROM encounters WHERE _chacc_changed_at > since
      ON DUPLICATE KEY UPDATE patient_id = VALUES(patient_id);
    COMMIT;
  END IF;
  DROP TEMPORARY TABLE _ps_touched, _ps_encounters, _ps_observations, _ps_vitals, _ps_rows;
END$$
DELIMITER ;
