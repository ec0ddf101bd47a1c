-- patient_summary: one row per patient: who, first and last encounter,
-- counts of encounters, visits and observations, and the latest value of
-- each vital sign (CIEL concepts, found by uuid) with the BMI they give.
--
-- CALL chacc_openmrs_patient_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every patient.
--   since set (incremental): recomputes, in `table`, the rows of the patients
--   touched after `since`: patients and observations whose _chacc_changed_at
--   is newer, encounters whose counted columns changed, the ones removed since
--   (etl_deletes), and the old patient of an encounter moved to another
--   patient. Every lookup goes through an index (_chacc_changed_at, the keys,
--   person_id, patient_id): the cost follows the patients touched, not the
--   tables. One transaction.
--
-- patient_summary_seen remembers each encounter's patient, date and visit as
-- this summary last counted them: an encounter whose row changed elsewhere
-- (its location renamed or moved) touches no patient, and when an encounter
-- moves to another patient (a merge), the patient it left is recomputed too.
DROP PROCEDURE IF EXISTS chacc_openmrs_patient_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_patient_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _ps_touched, _ps_seen, _ps_gone, _ps_encounters,
    _ps_observations, _ps_vitals, _ps_rows;
  CREATE TEMPORARY TABLE _ps_touched (patient_id INT NOT NULL PRIMARY KEY);
  -- the encounters whose patient, date or visit differ from what was counted
  CREATE TEMPORARY TABLE _ps_seen (
    encounter_id INT NOT NULL PRIMARY KEY, patient_id INT NOT NULL,
    encounter_datetime DATETIME NOT NULL, visit_id INT NULL, old_patient_id INT NULL);
  CREATE TEMPORARY TABLE _ps_gone (encounter_id INT NOT NULL PRIMARY KEY);
  IF since IS NULL THEN
    INSERT INTO _ps_touched SELECT patient_id FROM patients;
  ELSE
    INSERT IGNORE INTO _ps_touched
      SELECT patient_id FROM patients WHERE _chacc_changed_at > since;
    -- an encounter removed since counts as not seen, even if it came back
    INSERT IGNORE INTO _ps_gone
      SELECT CAST(JSON_VALUE(key_json, '$.encounter_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'encounters' AND deleted_at > since;
    INSERT INTO _ps_seen
      SELECT e.encounter_id, e.patient_id, e.encounter_datetime, e.visit_id, s.patient_id
      FROM encounters e
      LEFT JOIN _ps_gone g ON g.encounter_id = e.encounter_id
      LEFT JOIN patient_summary_seen s ON s.encounter_id = e.encounter_id AND g.encounter_id IS NULL
      WHERE e._chacc_changed_at > since
        AND NOT (s.encounter_id IS NOT NULL AND s.patient_id <=> e.patient_id
                 AND s.encounter_datetime <=> e.encounter_datetime AND s.visit_id <=> e.visit_id);
    INSERT IGNORE INTO _ps_touched SELECT patient_id FROM _ps_seen;
    INSERT IGNORE INTO _ps_touched
      SELECT old_patient_id FROM _ps_seen WHERE old_patient_id IS NOT NULL;
    INSERT IGNORE INTO _ps_touched
      SELECT person_id FROM observations WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT CAST(JSON_VALUE(row_json, '$.patient_id') AS SIGNED) FROM etl_deletes
      WHERE target IN ('patients', 'encounters') AND deleted_at > since;
    INSERT IGNORE INTO _ps_touched
      SELECT CAST(JSON_VALUE(row_json, '$.person_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'observations' AND deleted_at > since;
  END IF;

  CREATE TEMPORARY TABLE _ps_encounters (
    patient_id INT NOT NULL PRIMARY KEY,
    first_encounter_at DATETIME, last_encounter_at DATETIME,
    encounters INT NOT NULL, visits INT NOT NULL)
  SELECT e.patient_id, MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at, COUNT(*) AS encounters,
         COUNT(DISTINCT e.visit_id) AS visits
  FROM _ps_touched k JOIN encounters e ON e.patient_id = k.patient_id
  GROUP BY e.patient_id;

  CREATE TEMPORARY TABLE _ps_observations (
    patient_id INT NOT NULL PRIMARY KEY, observations INT NOT NULL,
    last_observation_at DATETIME)
  SELECT o.person_id AS patient_id, COUNT(*) AS observations,
         MAX(o.obs_datetime) AS last_observation_at
  FROM _ps_touched k JOIN observations o ON o.person_id = k.patient_id
  GROUP BY o.person_id;

  -- the newest value of each vital: by obs_datetime, then obs_id
  CREATE TEMPORARY TABLE _ps_vitals (
    patient_id INT NOT NULL PRIMARY KEY,
    weight_kg DOUBLE, height_cm DOUBLE, temperature_c DOUBLE, systolic_bp DOUBLE,
    diastolic_bp DOUBLE, pulse DOUBLE, respiratory_rate DOUBLE, oxygen_saturation DOUBLE,
    last_vitals_at DATETIME)
  SELECT v.person_id AS patient_id,
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
    SELECT o.person_id, o.concept_uuid, o.value_numeric, o.obs_datetime,
           ROW_NUMBER() OVER (PARTITION BY o.person_id, o.concept_uuid
                              ORDER BY o.obs_datetime DESC, o.obs_id DESC) AS n
    FROM _ps_touched k
    JOIN observations o ON o.person_id = k.patient_id
    WHERE o.value_numeric IS NOT NULL
      AND o.concept_uuid IN ('5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
                             '5242AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '5092AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
  ) v
  WHERE v.n = 1
  GROUP BY v.person_id;

  CREATE TEMPORARY TABLE _ps_rows (
    patient_id INT NOT NULL PRIMARY KEY,
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
    KEY (last_encounter_at)
  );
  INSERT INTO _ps_rows
  SELECT p.patient_id, p.identifier,
         CONCAT_WS(' ', p.given_name, p.middle_name, p.family_name),
         p.gender, p.birthdate, p.dead,
         e.first_encounter_at, e.last_encounter_at, COALESCE(e.encounters, 0),
         COALESCE(e.visits, 0), COALESCE(o.observations, 0), o.last_observation_at,
         v.weight_kg, v.height_cm,
         IF(v.height_cm > 0, ROUND(v.weight_kg / POW(v.height_cm / 100, 2), 1), NULL),
         v.temperature_c, v.systolic_bp, v.diastolic_bp, v.pulse, v.respiratory_rate,
         v.oxygen_saturation, v.last_vitals_at
  FROM _ps_touched k
  JOIN patients p ON p.patient_id = k.patient_id
  LEFT JOIN _ps_encounters e ON e.patient_id = k.patient_id
  LEFT JOIN _ps_observations o ON o.patient_id = k.patient_id
  LEFT JOIN _ps_vitals v ON v.patient_id = k.patient_id;

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    CREATE OR REPLACE TABLE patient_summary_seen (
      encounter_id INT NOT NULL PRIMARY KEY, patient_id INT NOT NULL,
      encounter_datetime DATETIME NOT NULL, visit_id INT NULL)
    SELECT encounter_id, patient_id, encounter_datetime, visit_id FROM encounters;
  ELSE
    START TRANSACTION;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _ps_touched k USING (patient_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ps_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    DELETE s FROM patient_summary_seen s JOIN _ps_gone g ON g.encounter_id = s.encounter_id;
    INSERT INTO patient_summary_seen (encounter_id, patient_id, encounter_datetime, visit_id)
      SELECT encounter_id, patient_id, encounter_datetime, visit_id FROM _ps_seen
      ON DUPLICATE KEY UPDATE patient_id = VALUES(patient_id),
        encounter_datetime = VALUES(encounter_datetime), visit_id = VALUES(visit_id);
    COMMIT;
  END IF;
  DROP TEMPORARY TABLE _ps_touched, _ps_seen, _ps_gone, _ps_encounters, _ps_observations,
    _ps_vitals, _ps_rows;
END$$
DELIMITER ;
