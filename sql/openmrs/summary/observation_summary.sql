-- observation_summary: one row per concept observed: how many observations,
-- patients and encounters, the numeric range and mean, the first and last
-- observation date.
--
-- CALL chacc_openmrs_observation_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every concept.
--   since set (incremental): recomputes, in `table`, the rows of the concepts
--   touched after `since`: those of observations whose _chacc_changed_at is
--   newer (a renamed concept touches all of its observations) and of the
--   observations removed since (etl_deletes). One transaction.
-- The mean is computed in DECIMAL, so that it does not depend on the order
-- in which rows are added up: a full and an incremental build agree exactly.
DROP PROCEDURE IF EXISTS chacc_openmrs_observation_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_observation_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _os_touched, _os_rows;
  CREATE TEMPORARY TABLE _os_touched (concept_id INT NOT NULL PRIMARY KEY);
  IF since IS NULL THEN
    INSERT INTO _os_touched SELECT DISTINCT concept_id FROM observations;
  ELSE
    INSERT IGNORE INTO _os_touched
      SELECT concept_id FROM observations WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _os_touched
      SELECT CAST(JSON_VALUE(row_json, '$.concept_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'observations' AND deleted_at > since;
  END IF;

  CREATE TEMPORARY TABLE _os_rows (
    concept_id INT NOT NULL PRIMARY KEY,
    concept_name VARCHAR(255) NULL,
    concept_datatype VARCHAR(255) NULL,
    observations INT NOT NULL,
    patients INT NOT NULL,
    encounters INT NOT NULL,
    numeric_values INT NOT NULL,
    min_value DOUBLE NULL,
    avg_value DECIMAL(24,4) NULL,
    max_value DOUBLE NULL,
    first_obs_at DATETIME NULL,
    last_obs_at DATETIME NULL
  );
  -- the counts come from the index on (concept_id, person_id, encounter_id,
  -- value_numeric, obs_datetime) alone, one range of it per touched concept;
  -- the name and datatype from one row (all rows of a concept carry the same
  -- name: a rename re-reads them all): the last entry of that index, reached
  -- without reading the range again
  INSERT INTO _os_rows
  SELECT a.concept_id, n.concept_name, n.concept_datatype, a.observations, a.patients,
         a.encounters, a.numeric_values, a.min_value, a.avg_value, a.max_value,
         a.first_obs_at, a.last_obs_at
  FROM (
    SELECT o.concept_id, COUNT(*) AS observations, COUNT(DISTINCT o.person_id) AS patients,
           COUNT(DISTINCT o.encounter_id) AS encounters,
           COUNT(o.value_numeric) AS numeric_values, MIN(o.value_numeric) AS min_value,
           CAST(AVG(CAST(o.value_numeric AS DECIMAL(30,10))) AS DECIMAL(24,4)) AS avg_value,
           MAX(o.value_numeric) AS max_value, MIN(o.obs_datetime) AS first_obs_at,
           MAX(o.obs_datetime) AS last_obs_at
    FROM _os_touched k
    JOIN observations o ON o.concept_id = k.concept_id
    GROUP BY o.concept_id) a
  JOIN observations n ON n.obs_id = (
    SELECT o.obs_id FROM observations o WHERE o.concept_id = a.concept_id
    ORDER BY o.person_id DESC, o.encounter_id DESC, o.value_numeric DESC,
             o.obs_datetime DESC, o.obs_id DESC
    LIMIT 1);

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
  ELSE
    START TRANSACTION;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _os_touched k USING (concept_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    COMMIT;
  END IF;
  DROP TEMPORARY TABLE _os_touched, _os_rows;
END$$
DELIMITER ;
