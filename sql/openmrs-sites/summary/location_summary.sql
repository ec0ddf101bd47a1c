-- location_summary of a group of sites: one row per location of a site,
-- keyed by (site, location_id): how many patients, visits, encounters and
-- observations it saw, and its first and last activity (the oldest and
-- newest encounter or observation there). As
-- sql/openmrs/summary/location_summary.sql, with the site in every key and
-- every join.
--
-- CALL chacc_openmrs_sites_location_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every location.
--   since set (incremental): recomputes, in `table`, the rows of the locations
--   touched after `since`: locations, encounters and observations whose
--   _chacc_changed_at is newer, the locations, encounters and observations
--   removed since (etl_deletes: voided, or of a site that left the group:
--   its locations leave too), and the old location of an encounter moved
--   elsewhere. One transaction.
--
-- location_summary_seen remembers each encounter's location as this summary
-- last counted it: when an encounter moves, the location it left is
-- recomputed too.
DROP PROCEDURE IF EXISTS chacc_openmrs_sites_location_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_sites_location_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _ls_touched, _ls_encounters, _ls_observations, _ls_rows;
  CREATE TEMPORARY TABLE _ls_touched (
    site VARCHAR(64) NOT NULL, location_id INT NOT NULL, PRIMARY KEY (site, location_id));
  IF since IS NULL THEN
    INSERT INTO _ls_touched SELECT site, location_id FROM locations;
  ELSE
    INSERT IGNORE INTO _ls_touched
      SELECT site, location_id FROM locations WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _ls_touched
      SELECT site, location_id FROM encounters
      WHERE _chacc_changed_at > since AND location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT s.site, s.location_id FROM encounters e
      JOIN location_summary_seen s ON s.site = e.site AND s.encounter_id = e.encounter_id
      WHERE e._chacc_changed_at > since AND s.location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT site, location_id FROM observations
      WHERE _chacc_changed_at > since AND location_id IS NOT NULL;
    INSERT IGNORE INTO _ls_touched
      SELECT JSON_VALUE(row_json, '$.site'),
             CAST(JSON_VALUE(row_json, '$.location_id') AS SIGNED) FROM etl_deletes
      WHERE target IN ('locations', 'encounters', 'observations') AND deleted_at > since
        AND JSON_VALUE(row_json, '$.location_id') IS NOT NULL;
  END IF;

  CREATE TEMPORARY TABLE _ls_encounters (
    site VARCHAR(64) NOT NULL, location_id INT NOT NULL, patients INT NOT NULL,
    visits INT NOT NULL, encounters INT NOT NULL, first_encounter_at DATETIME,
    last_encounter_at DATETIME, PRIMARY KEY (site, location_id))
  SELECT e.site, e.location_id, COUNT(DISTINCT e.patient_id) AS patients,
         COUNT(DISTINCT e.visit_id) AS visits, COUNT(*) AS encounters,
         MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at
  FROM _ls_touched k JOIN encounters e ON e.site = k.site AND e.location_id = k.location_id
  GROUP BY e.site, e.location_id;

  CREATE TEMPORARY TABLE _ls_observations (
    site VARCHAR(64) NOT NULL, location_id INT NOT NULL, observations INT NOT NULL,
    first_obs_at DATETIME, last_obs_at DATETIME, PRIMARY KEY (site, location_id))
  SELECT o.site, o.location_id, COUNT(*) AS observations, MIN(o.obs_datetime) AS first_obs_at,
         MAX(o.obs_datetime) AS last_obs_at
  FROM _ls_touched k JOIN observations o ON o.site = k.site AND o.location_id = k.location_id
  GROUP BY o.site, o.location_id;

  CREATE TEMPORARY TABLE _ls_rows (
    site VARCHAR(64) NOT NULL,
    location_id INT NOT NULL,
    location_name VARCHAR(255) NOT NULL,
    parent_location_name VARCHAR(255) NULL,
    retired TINYINT(1) NOT NULL DEFAULT 0,
    patients INT NOT NULL DEFAULT 0,
    visits INT NOT NULL DEFAULT 0,
    encounters INT NOT NULL DEFAULT 0,
    observations INT NOT NULL DEFAULT 0,
    first_activity_at DATETIME NULL,
    last_activity_at DATETIME NULL,
    PRIMARY KEY (site, location_id)
  );
  INSERT INTO _ls_rows
  SELECT l.site, l.location_id, l.name, l.parent_location_name, l.retired,
         COALESCE(e.patients, 0), COALESCE(e.visits, 0), COALESCE(e.encounters, 0),
         COALESCE(o.observations, 0),
         LEAST(COALESCE(e.first_encounter_at, o.first_obs_at),
               COALESCE(o.first_obs_at, e.first_encounter_at)),
         GREATEST(COALESCE(e.last_encounter_at, o.last_obs_at),
                  COALESCE(o.last_obs_at, e.last_encounter_at))
  FROM _ls_touched k
  JOIN locations l ON l.site = k.site AND l.location_id = k.location_id
  LEFT JOIN _ls_encounters e ON e.site = k.site AND e.location_id = k.location_id
  LEFT JOIN _ls_observations o ON o.site = k.site AND o.location_id = k.location_id;

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    CREATE OR REPLACE TABLE location_summary_seen (
      site VARCHAR(64) NOT NULL, encounter_id INT NOT NULL, location_id INT NULL,
      PRIMARY KEY (site, encounter_id))
    SELECT site, encounter_id, location_id FROM encounters;
  ELSE
    START TRANSACTION;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _ls_touched k USING (site, location_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _ls_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    DELETE s FROM location_summary_seen s
      JOIN etl_deletes d ON d.target = 'encounters' AND d.deleted_at > since
       AND s.site = JSON_VALUE(d.key_json, '$.site')
       AND s.encounter_id = CAST(JSON_VALUE(d.key_json, '$.encounter_id') AS SIGNED);
    INSERT INTO location_summary_seen (site, encounter_id, location_id)
      SELECT site, encounter_id, location_id FROM encounters WHERE _chacc_changed_at > since
      ON DUPLICATE KEY UPDATE location_id = VALUES(location_id);
    COMMIT;
  END IF;
  DROP TEMPORARY TABLE _ls_touched, _ls_encounters, _ls_observations, _ls_rows;
END$$
DELIMITER ;
