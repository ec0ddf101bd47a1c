-- observation_summary: one row per concept observed: how many observations,
-- patients and encounters, the numeric range and mean, the first and last
-- observation date.
--
-- CALL chacc_openmrs_observation_summary(table, since):
--   since NULL (a full build): creates `table` and fills it for every concept.
--   since set (incremental): updates, in `table`, the rows of the concepts
--   touched after `since`, by what changed: the observations whose
--   _chacc_changed_at is newer and those removed since (etl_deletes). One
--   transaction.
--
-- observation_summary_seen remembers each observation as this summary counted
-- it (concept, patient, encounter, value, date), observation_summary_sums each
-- concept's sum of values. An incremental build compares the observations
-- changed or removed since with what it counted of them, and takes from each
-- concept what they counted for and adds what they count for now: counts and
-- sums by difference, a patient or encounter new to a concept or gone from it
-- by one lookup in an index. The minimum, maximum, first and last follow unless
-- a value that held one is taken away: such a concept is counted again from
-- all its rows, as in a full build. A concept renamed (all its observations
-- stamped again) takes its new name and keeps its counts.
-- The mean is computed in DECIMAL, so that it does not depend on the order
-- in which rows are added up: a full and an incremental build agree exactly.
DROP PROCEDURE IF EXISTS chacc_openmrs_observation_summary;
DELIMITER $$
CREATE PROCEDURE chacc_openmrs_observation_summary(IN tbl VARCHAR(64), IN since DATETIME(6))
BEGIN
  DECLARE t VARCHAR(140) DEFAULT CONCAT('`', REPLACE(tbl, '`', '``'), '`');

  DROP TEMPORARY TABLE IF EXISTS _os_touched, _os_again, _os_chg, _os_side, _os_delta,
    _os_rows, _os_sums, _os_old;
  -- the concepts touched; again: those counted again from all their rows
  CREATE TEMPORARY TABLE _os_touched (concept_id INT NOT NULL PRIMARY KEY);
  CREATE TEMPORARY TABLE _os_again (concept_id INT NOT NULL PRIMARY KEY);
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
  CREATE TEMPORARY TABLE _os_sums (concept_id INT NOT NULL PRIMARY KEY, value_sum DECIMAL(40,10) NULL);

  IF since IS NULL THEN
    INSERT INTO _os_again SELECT DISTINCT concept_id FROM observations;
  ELSE
    -- each observation changed or removed since: what it counted for, what it counts for now
    CREATE TEMPORARY TABLE _os_chg (
      obs_id INT NOT NULL PRIMARY KEY, stamped TINYINT NOT NULL DEFAULT 0,
      was TINYINT NOT NULL DEFAULT 0, o_concept INT NULL, o_person INT NULL,
      o_encounter INT NULL, o_value DOUBLE NULL, o_at DATETIME NULL,
      now TINYINT NOT NULL DEFAULT 0, n_concept INT NULL, n_person INT NULL,
      n_encounter INT NULL, n_value DOUBLE NULL, n_at DATETIME NULL);
    INSERT INTO _os_chg (obs_id, stamped)
      SELECT obs_id, 1 FROM observations WHERE _chacc_changed_at > since;
    INSERT IGNORE INTO _os_chg (obs_id)
      SELECT CAST(JSON_VALUE(key_json, '$.obs_id') AS SIGNED) FROM etl_deletes
      WHERE target = 'observations' AND deleted_at > since;
    UPDATE _os_chg c JOIN observation_summary_seen s ON s.obs_id = c.obs_id
      SET c.was = 1, c.o_concept = s.concept_id, c.o_person = s.person_id,
          c.o_encounter = s.encounter_id, c.o_value = s.value_numeric, c.o_at = s.obs_datetime;
    UPDATE _os_chg c JOIN observations o ON o.obs_id = c.obs_id
      SET c.now = 1, c.n_concept = o.concept_id, c.n_person = o.person_id,
          c.n_encounter = o.encounter_id, c.n_value = o.value_numeric, c.n_at = o.obs_datetime;
    -- a row stamped again keeps its concept's name fresh (a rename stamps them all)
    INSERT IGNORE INTO _os_touched SELECT n_concept FROM _os_chg WHERE stamped = 1 AND now = 1;
    DELETE FROM _os_chg
    WHERE was = now AND (was = 0 OR (o_concept <=> n_concept AND o_person <=> n_person
                                     AND o_encounter <=> n_encounter AND o_value <=> n_value
                                     AND o_at <=> n_at));

    -- one row taken away (-1) or added (+1) a change
    CREATE TEMPORARY TABLE _os_side (
      concept_id INT NOT NULL, person_id INT NOT NULL, encounter_id INT NULL,
      value_numeric DOUBLE NULL, obs_datetime DATETIME NOT NULL, sign TINYINT NOT NULL,
      KEY (concept_id));
    INSERT INTO _os_side
      SELECT o_concept, o_person, o_encounter, o_value, o_at, -1 FROM _os_chg WHERE was = 1;
    INSERT INTO _os_side
      SELECT n_concept, n_person, n_encounter, n_value, n_at, 1 FROM _os_chg WHERE now = 1;
    INSERT IGNORE INTO _os_touched SELECT concept_id FROM _os_side;

    -- counted again: a concept that lost the value or date of one of its
    -- extremes, and one summarised without its sum (an older summary)
    INSERT IGNORE INTO _os_again
      SELECT k.concept_id FROM _os_touched k
      LEFT JOIN observation_summary_sums m ON m.concept_id = k.concept_id
      WHERE m.concept_id IS NULL AND EXISTS (
        SELECT 1 FROM observation_summary_seen s WHERE s.concept_id = k.concept_id);
    SET @chacc_sql = CONCAT('INSERT IGNORE INTO _os_again SELECT DISTINCT d.concept_id',
      ' FROM _os_side d JOIN ', t, ' r ON r.concept_id = d.concept_id WHERE d.sign < 0',
      ' AND (d.value_numeric <= r.min_value OR d.value_numeric >= r.max_value',
      ' OR d.obs_datetime <= r.first_obs_at OR d.obs_datetime >= r.last_obs_at)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;

    -- the others by difference: each side's counts, and the patients and
    -- encounters a concept gains (no row of them was counted) or loses (no row
    -- of them is left)
    CREATE TEMPORARY TABLE _os_delta (
      concept_id INT NOT NULL PRIMARY KEY, observations INT NOT NULL, numeric_values INT NOT NULL,
      value_sum DECIMAL(40,10) NOT NULL, min_value DOUBLE NULL, max_value DOUBLE NULL,
      first_obs_at DATETIME NULL, last_obs_at DATETIME NULL, patients INT NOT NULL,
      encounters INT NOT NULL)
    SELECT k.concept_id,
           COALESCE(SUM(d.sign), 0) AS observations,
           COALESCE(SUM(IF(d.value_numeric IS NULL, 0, d.sign)), 0) AS numeric_values,
           COALESCE(SUM(d.sign * CAST(d.value_numeric AS DECIMAL(30,10))), 0) AS value_sum,
           MIN(IF(d.sign > 0, d.value_numeric, NULL)) AS min_value,
           MAX(IF(d.sign > 0, d.value_numeric, NULL)) AS max_value,
           MIN(IF(d.sign > 0, d.obs_datetime, NULL)) AS first_obs_at,
           MAX(IF(d.sign > 0, d.obs_datetime, NULL)) AS last_obs_at,
           0 AS patients, 0 AS encounters
    FROM _os_touched k
    LEFT JOIN _os_again a ON a.concept_id = k.concept_id
    LEFT JOIN _os_side d ON d.concept_id = k.concept_id
    WHERE a.concept_id IS NULL
    GROUP BY k.concept_id;
    UPDATE _os_delta x JOIN (
      SELECT concept_id, COUNT(DISTINCT person_id) AS n FROM _os_side d
      WHERE d.sign > 0 AND NOT EXISTS (SELECT 1 FROM observation_summary_seen s
        WHERE s.concept_id = d.concept_id AND s.person_id = d.person_id)
      GROUP BY concept_id) g ON g.concept_id = x.concept_id
    SET x.patients = x.patients + g.n;
    UPDATE _os_delta x JOIN (
      SELECT concept_id, COUNT(DISTINCT person_id) AS n FROM _os_side d
      WHERE d.sign < 0 AND NOT EXISTS (SELECT 1 FROM observations o
        WHERE o.concept_id = d.concept_id AND o.person_id = d.person_id)
      GROUP BY concept_id) g ON g.concept_id = x.concept_id
    SET x.patients = x.patients - g.n;
    UPDATE _os_delta x JOIN (
      SELECT concept_id, COUNT(DISTINCT encounter_id) AS n FROM _os_side d
      WHERE d.sign > 0 AND d.encounter_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM observation_summary_seen s
        WHERE s.concept_id = d.concept_id AND s.encounter_id = d.encounter_id)
      GROUP BY concept_id) g ON g.concept_id = x.concept_id
    SET x.encounters = x.encounters + g.n;
    UPDATE _os_delta x JOIN (
      SELECT concept_id, COUNT(DISTINCT encounter_id) AS n FROM _os_side d
      WHERE d.sign < 0 AND d.encounter_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM observations o
        WHERE o.encounter_id = d.encounter_id AND o.concept_id = d.concept_id)
      GROUP BY concept_id) g ON g.concept_id = x.concept_id
    SET x.encounters = x.encounters - g.n;

    -- the last summary's rows of those concepts, with their sums
    SET @chacc_sql = CONCAT('CREATE TEMPORARY TABLE _os_old SELECT r.*, m.value_sum FROM ', t,
      ' r JOIN _os_delta x ON x.concept_id = r.concept_id',
      ' LEFT JOIN observation_summary_sums m ON m.concept_id = r.concept_id');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    ALTER TABLE _os_old ADD PRIMARY KEY (concept_id);
    INSERT INTO _os_rows
    SELECT x.concept_id, NULL, NULL,
           COALESCE(r.observations, 0) + x.observations,
           COALESCE(r.patients, 0) + x.patients,
           COALESCE(r.encounters, 0) + x.encounters,
           COALESCE(r.numeric_values, 0) + x.numeric_values,
           IF(r.min_value IS NULL OR x.min_value < r.min_value, x.min_value, r.min_value),
           NULL,
           IF(r.max_value IS NULL OR x.max_value > r.max_value, x.max_value, r.max_value),
           IF(r.first_obs_at IS NULL OR x.first_obs_at < r.first_obs_at, x.first_obs_at,
              r.first_obs_at),
           IF(r.last_obs_at IS NULL OR x.last_obs_at > r.last_obs_at, x.last_obs_at,
              r.last_obs_at)
    FROM _os_delta x LEFT JOIN _os_old r ON r.concept_id = x.concept_id;
    INSERT INTO _os_sums
    SELECT x.concept_id, IF(COALESCE(r.numeric_values, 0) + x.numeric_values > 0,
                            COALESCE(r.value_sum, 0) + x.value_sum, NULL)
    FROM _os_delta x LEFT JOIN _os_old r ON r.concept_id = x.concept_id;
  END IF;

  -- the concepts counted from all their rows: from the index on (concept_id,
  -- person_id, encounter_id, value_numeric, obs_datetime) alone, one range of
  -- it per concept
  INSERT INTO _os_rows
  SELECT o.concept_id, NULL, NULL, COUNT(*), COUNT(DISTINCT o.person_id),
         COUNT(DISTINCT o.encounter_id), COUNT(o.value_numeric), MIN(o.value_numeric), NULL,
         MAX(o.value_numeric), MIN(o.obs_datetime), MAX(o.obs_datetime)
  FROM _os_again k
  JOIN observations o ON o.concept_id = k.concept_id
  GROUP BY o.concept_id;
  INSERT INTO _os_sums
  SELECT o.concept_id, SUM(CAST(o.value_numeric AS DECIMAL(30,10)))
  FROM _os_again k
  JOIN observations o ON o.concept_id = k.concept_id
  GROUP BY o.concept_id;
  -- a concept without observations has no row; the mean from the sum, the
  -- name and datatype from one row (all rows of a concept carry the same
  -- name: a rename stamps them all): the last entry of that index
  DELETE FROM _os_rows WHERE observations <= 0;
  UPDATE _os_rows r JOIN _os_sums m ON m.concept_id = r.concept_id
  SET r.avg_value = CAST(m.value_sum / r.numeric_values AS DECIMAL(24,4))
  WHERE r.numeric_values > 0;
  UPDATE _os_rows r JOIN observations n ON n.obs_id = (
    SELECT o.obs_id FROM observations o WHERE o.concept_id = r.concept_id
    ORDER BY o.person_id DESC, o.encounter_id DESC, o.value_numeric DESC,
             o.obs_datetime DESC, o.obs_id DESC
    LIMIT 1)
  SET r.concept_name = n.concept_name, r.concept_datatype = n.concept_datatype;

  IF since IS NULL THEN
    SET @chacc_sql = CONCAT('CREATE TABLE ', t, ' LIKE _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    CREATE OR REPLACE TABLE observation_summary_sums (
      concept_id INT NOT NULL PRIMARY KEY, value_sum DECIMAL(40,10) NULL)
    SELECT concept_id, value_sum FROM _os_sums;
    CREATE OR REPLACE TABLE observation_summary_seen (
      obs_id INT NOT NULL PRIMARY KEY, concept_id INT NOT NULL, person_id INT NOT NULL,
      encounter_id INT NULL, value_numeric DOUBLE NULL, obs_datetime DATETIME NOT NULL,
      KEY (concept_id, person_id), KEY (concept_id, encounter_id))
    SELECT obs_id, concept_id, person_id, encounter_id, value_numeric, obs_datetime
    FROM observations;
  ELSE
    START TRANSACTION;
    INSERT IGNORE INTO _os_touched SELECT concept_id FROM _os_again;
    SET @chacc_sql = CONCAT('DELETE t FROM ', t, ' t JOIN _os_touched k USING (concept_id)');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    SET @chacc_sql = CONCAT('INSERT INTO ', t, ' SELECT * FROM _os_rows');
    PREPARE s FROM @chacc_sql; EXECUTE s; DEALLOCATE PREPARE s;
    DELETE m FROM observation_summary_sums m JOIN _os_touched k USING (concept_id);
    INSERT INTO observation_summary_sums
      SELECT m.concept_id, m.value_sum FROM _os_sums m
      JOIN _os_rows r ON r.concept_id = m.concept_id;
    DELETE s FROM observation_summary_seen s JOIN _os_chg c ON c.obs_id = s.obs_id;
    INSERT INTO observation_summary_seen
      SELECT obs_id, n_concept, n_person, n_encounter, n_value, n_at FROM _os_chg WHERE now = 1;
    COMMIT;
    DROP TEMPORARY TABLE _os_chg, _os_side, _os_delta, _os_old;
  END IF;
  DROP TEMPORARY TABLE _os_touched, _os_again, _os_rows, _os_sums;
END$$
DELIMITER ;
