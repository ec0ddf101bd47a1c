-- location_summary: one row per location: how many patients, visits,
-- encounters and observations it saw, and its first and last activity (the
-- oldest and newest encounter or observation there).
--
-- CALL chacc_openmrs_location_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every location.
--   since set (incremental): recomputes, in `table`, the rows of the locations
--   touched after `since`: locations and observations whose _chacc_changed_at
--   is newer, encounters whose counted columns changed, the encounters and
--   observations removed since (etl_deletes), and the old location of an
--   encounter moved elsewhere. Every lookup goes through an index. One
--   transaction.
--
-- location_summary_seen remembers each encounter's location, patient, visit
-- and date as this summary last counted them: an encounter whose row changed
-- elsewhere (its location renamed) touches nothing more than its location's
-- name does, and when an encounter moves, the location it left is recomputed
-- too.
DROP PROCEDURE IF EXISTS chacc_openmrs_location_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_location_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _ls_touched, _ls_seen, _ls_gone, _ls_encounters,
    _ls_observations, _ls_rows;
  CREATE TEMPORARY TABLE _ls_touched (location_id INT NOT NULL PRIMARY KEY);
  -- the encounters whose location, patient, visit or date differ from what was counted
  CREATE TEMPORARY TABLE _ls_seen (
    encounter_id INT NOT NULL PRIMARY KEY, location_id INT NULL, patient_id INT NOT NULL,
    visit_id INT NULL, encounter_datetime DATETIME NOT NULL, old_location_id INT NULL);
  CREATE TEMPORARY TABLE _ls_gone (encounter_id INT NOT NULL PRIMARY KEY);
  IF since IS NULL THEN
    INSERT INTO _ls_touched SELECT location_id FROM locations;
  ELSE
    INSERT IGNORE INTO _ls_touched
      SELECT location_id FROM locations WHERE _chacc_changed_at > since;
    -- an encounter removed since counts as not seen, even if it came back
    INSERT IGNORE INTO _ls_gone
      SELECT CAST(JSON_VALUE(key_json, '$.encounter_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'encounters' AND deleted_at > since;
    INSERT INTO _ls_seen
      SELECT e.encounter_id, e.location_id, e.patient_id, e.visit_id, e.encounter_datetime,
             s.location_id
      FROM encounters e
      LEFT JOIN _ls_gone g ON g.encounter_id = e.encounter_id
      LEFT JOIN location_summary_seen s
        ON s.encounter_id = e.encounter_id AND g.encounter_id IS NULL
      WHERE e._chacc_changed_at > since
        AND NOT (s.encounter_id IS NOT NULL AND s.location_id <=> e.location_id
                 AND s.patient_id <=> e.patient_id AND s.visit_id <=> e.visit_id
                 AND s.encounter_datetime <=> e.encounter_datetime);
    INSERT IGNORE INTO _ls_touched
      SELECT location_id FROM _ls_seen WHERE location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT old_location_id FROM _ls_seen WHERE old_location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT location_id FROM observations
      WHERE _chacc_changed_at > since AND location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT CAST(JSON_VALUE(row_json, '$.location_id') AS SIGNED) FROM etl_deletes
      WHERE target IN ('encounters', 'observations') AND deleted_at > since
        AND JSON_VALUE(row_json, '$.location_id') IS NOT NULL;
  END IF;

  CREATE TEMPORARY TABLE _ls_encounters (
    location_id INT NOT NULL PRIMARY KEY, patients INT NOT NULL, visits INT NOT NULL,
    encounters INT NOT NULL, first_encounter_at DATETIME, last_encounter_at DATETIME)
  SELECT e.location_id, COUNT(DISTINCT e.patient_id) AS patients,
         COUNT(DISTINCT e.visit_id) AS visits, COUNT(*) AS encounters,
         MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at
  FROM _ls_touched k JOIN encounters e ON e.location_id = k.location_id
  GROUP BY e.location_id;

  CREATE TEMPORARY TABLE _ls_observations (
    location_id INT NOT NULL PRIMARY KEY, observations INT NOT NULL,
    first_obs_at DATETIME, last_obs_at DATETIME)
  SELECT o.location_id, COUNT(*) AS observations, MIN(o.obs_datetime) AS first_obs_at,
         MAX(o.obs_datetime) AS last_obs_at
  FROM _ls_touched k JOIN observations o ON o.location_id = k.location_id
  GROUP BY o.location_id;

  CREATE TEMPORARY TABLE _ls_rows (
    location_id INT NOT NULL PRIMARY KEY,
    location_name VARCHAR(255) NOT NULL,
    parent_location_name VARCHAR(255) NULL,
    retired TINYINT(1) NOT NULL DEFAULT 0,
    patients INT NOT NULL DEFAULT 0,
    visits INT NOT NULL DEFAULT 0,
    encounters INT NOT NULL DEFAULT 0,
    observations INT NOT NULL DEFAULT 0,
    first_activity_at DATETIME NULL,
    last_activity_at DATETIME NULL
  );
  INSERT INTO _ls_rows
  SELECT l.location_id, l.name, l.parent_location_name, l.retired,
         COALESCE(e.patients, 0), COALESCE(e.visits, 0), COALESCE(e.encounters, 0),
         COALESCE(o.observations, 0),
         LEAST(COALESCE(e.first_encounter_at, o.first_obs_at),
               COALESCE(o.first_obs_at, e.first_encounter_at)),
         GREATEST(COALESCE(e.last_encounter_at, o.last_obs_at),
                  COALESCE(o.last_obs_at, e.last_encounter_at))
  FROM _ls_touched k
  JOIN locations l ON l.location_id = k.location_id
  LEFT JOIN _ls_encounters e ON e.location_id = k.location_id
  LEFT JOIN _ls_observations o ON o.location_id = k.location_id;

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    CREATE OR REPLACE TABLE location_summary_seen (
      encounter_id INT NOT NULL PRIMARY KEY, location_id INT NULL, patient_id INT NOT NULL,
      visit_id INT NULL, encounter_datetime DATETIME NOT NULL)
    SELECT encounter_id, location_id, patient_id, visit_id, encounter_datetime FROM encounters;
  ELSE
    START TRANSACTION;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _ls_touched k USING (location_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    DELETE s FROM location_summary_seen s JOIN _ls_gone g ON g.encounter_id = s.encounter_id;
    INSERT INTO location_summary_seen
        (encounter_id, location_id, patient_id, visit_id, encounter_datetime)
      SELECT encounter_id, location_id, patient_id, visit_id, encounter_datetime FROM _ls_seen
      ON DUPLICATE KEY UPDATE location_id = VALUES(location_id),
        patient_id = VALUES(patient_id), visit_id = VALUES(visit_id),
        encounter_datetime = VALUES(encounter_datetime);
    COMMIT;
  END IF;
  DROP TEMPORARY TABLE _ls_touched, _ls_seen, _ls_gone, _ls_encounters, _ls_observations,
    _ls_rows;
END$$
DELIMITER ;
