-- observation_summary: one row per concept observed: how many observations,
-- patients and encounters, the numeric range and mean, the first and last
-- observation date. The PL/pgSQL spelling of
-- sql/openmrs/summary/observation_summary.sql: the same columns and rows, and
-- the same bookkeeping.
--
-- CALL chacc_openmrs_observation_summary(table, since):
--   since NULL (a full build): creates "table" and fills it for every concept.
--   since set (incremental): updates, in "table", the rows of the concepts
--   touched after "since", by what changed: the observations whose
--   _chacc_changed_at is newer and those removed since (etl_deletes).
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
-- A CALL is one transaction: its temporary tables go with it (ON COMMIT DROP).
-- The mean is computed in numeric, so that it does not depend on the order
-- in which rows are added up: a full and an incremental build agree exactly.
CREATE OR REPLACE PROCEDURE chacc_openmrs_observation_summary(tbl text, since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp._os_touched, pg_temp._os_again, pg_temp._os_chg,
    pg_temp._os_side, pg_temp._os_delta, pg_temp._os_rows, pg_temp._os_sums, pg_temp._os_old;
  -- the concepts touched; again: those counted again from all their rows
  CREATE TEMPORARY TABLE _os_touched (concept_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  CREATE TEMPORARY TABLE _os_again (concept_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  CREATE TEMPORARY TABLE _os_rows (
    concept_id integer NOT NULL PRIMARY KEY,
    concept_name varchar(255) NULL,
    concept_datatype varchar(255) NULL,
    observations integer NOT NULL,
    patients integer NOT NULL,
    encounters integer NOT NULL,
    numeric_values integer NOT NULL,
    min_value double precision NULL,
    avg_value numeric(24,4) NULL,
    max_value double precision NULL,
    first_obs_at timestamp NULL,
    last_obs_at timestamp NULL
  ) ON COMMIT DROP;
  CREATE TEMPORARY TABLE _os_sums (
    concept_id integer NOT NULL PRIMARY KEY, value_sum numeric(40,10) NULL) ON COMMIT DROP;

  IF since IS NULL THEN
    INSERT INTO _os_again SELECT DISTINCT concept_id FROM observations;
  ELSE
    -- each observation changed or removed since: what it counted for, what it counts for now
    CREATE TEMPORARY TABLE _os_chg (
      obs_id integer NOT NULL PRIMARY KEY, stamped boolean NOT NULL DEFAULT false,
      was boolean NOT NULL DEFAULT false, o_concept integer NULL, o_person integer NULL,
      o_encounter integer NULL, o_value double precision NULL, o_at timestamp NULL,
      now boolean NOT NULL DEFAULT false, n_concept integer NULL, n_person integer NULL,
      n_encounter integer NULL, n_value double precision NULL, n_at timestamp NULL
    ) ON COMMIT DROP;
    INSERT INTO _os_chg (obs_id, stamped)
      SELECT obs_id, true FROM observations WHERE _chacc_changed_at > since;
    INSERT INTO _os_chg (obs_id)
      SELECT DISTINCT CAST(CAST(key_json AS jsonb) ->> 'obs_id' AS integer) FROM etl_deletes
      WHERE target = 'observations' AND deleted_at > since
      ON CONFLICT DO NOTHING;
    UPDATE _os_chg c
      SET was = true, o_concept = s.concept_id, o_person = s.person_id,
          o_encounter = s.encounter_id, o_value = s.value_numeric, o_at = s.obs_datetime
      FROM observation_summary_seen s WHERE s.obs_id = c.obs_id;
    UPDATE _os_chg c
      SET now = true, n_concept = o.concept_id, n_person = o.person_id,
          n_encounter = o.encounter_id, n_value = o.value_numeric, n_at = o.obs_datetime
      FROM observations o WHERE o.obs_id = c.obs_id;
    -- a row stamped again keeps its concept's name fresh (a rename stamps them all)
    INSERT INTO _os_touched SELECT DISTINCT n_concept FROM _os_chg WHERE stamped AND now
      ON CONFLICT DO NOTHING;
    DELETE FROM _os_chg
    WHERE was = now AND (NOT was OR (o_concept IS NOT DISTINCT FROM n_concept
                                     AND o_person IS NOT DISTINCT FROM n_person
                                     AND o_encounter IS NOT DISTINCT FROM n_encounter
                                     AND o_value IS NOT DISTINCT FROM n_value
                                     AND o_at IS NOT DISTINCT FROM n_at));

    -- one row taken away (-1) or added (+1) a change
    CREATE TEMPORARY TABLE _os_side (
      concept_id integer NOT NULL, person_id integer NOT NULL, encounter_id integer NULL,
      value_numeric double precision NULL, obs_datetime timestamp NOT NULL,
      sign integer NOT NULL
    ) ON COMMIT DROP;
    INSERT INTO _os_side
      SELECT o_concept, o_person, o_encounter, o_value, o_at, -1 FROM _os_chg WHERE was;
    INSERT INTO _os_side
      SELECT n_concept, n_person, n_encounter, n_value, n_at, 1 FROM _os_chg WHERE now;
    CREATE INDEX ON _os_side (concept_id);
    INSERT INTO _os_touched SELECT DISTINCT concept_id FROM _os_side ON CONFLICT DO NOTHING;

    -- counted again: a concept that lost the value or date of one of its
    -- extremes, and one summarised without its sum (an older summary)
    INSERT INTO _os_again
      SELECT k.concept_id FROM _os_touched k
      LEFT JOIN observation_summary_sums m ON m.concept_id = k.concept_id
      WHERE m.concept_id IS NULL AND EXISTS (
        SELECT 1 FROM observation_summary_seen s WHERE s.concept_id = k.concept_id)
      ON CONFLICT DO NOTHING;
    EXECUTE format('INSERT INTO _os_again SELECT DISTINCT d.concept_id'
      ' FROM _os_side d JOIN %I r ON r.concept_id = d.concept_id WHERE d.sign < 0'
      ' AND (d.value_numeric <= r.min_value OR d.value_numeric >= r.max_value'
      ' OR d.obs_datetime <= r.first_obs_at OR d.obs_datetime >= r.last_obs_at)'
      ' ON CONFLICT DO NOTHING', tbl);

    -- the others by difference: each side's counts, and the patients and
    -- encounters a concept gains (no row of them was counted) or loses (no row
    -- of them is left)
    CREATE TEMPORARY TABLE _os_delta ON COMMIT DROP AS
    SELECT k.concept_id,
           CAST(COALESCE(SUM(d.sign), 0) AS integer) AS observations,
           CAST(COALESCE(SUM(CASE WHEN d.value_numeric IS NULL THEN 0 ELSE d.sign END), 0)
                AS integer) AS numeric_values,
           CAST(COALESCE(SUM(d.sign * CAST(d.value_numeric AS numeric(30,10))), 0)
                AS numeric(40,10)) AS value_sum,
           MIN(CASE WHEN d.sign > 0 THEN d.value_numeric END) AS min_value,
           MAX(CASE WHEN d.sign > 0 THEN d.value_numeric END) AS max_value,
           MIN(CASE WHEN d.sign > 0 THEN d.obs_datetime END) AS first_obs_at,
           MAX(CASE WHEN d.sign > 0 THEN d.obs_datetime END) AS last_obs_at,
           0 AS patients, 0 AS encounters
    FROM _os_touched k
    LEFT JOIN _os_again a ON a.concept_id = k.concept_id
    LEFT JOIN _os_side d ON d.concept_id = k.concept_id
    WHERE a.concept_id IS NULL
    GROUP BY k.concept_id;
    UPDATE _os_delta x SET patients = x.patients + g.n FROM (
      SELECT concept_id, COUNT(DISTINCT person_id) AS n FROM _os_side d
      WHERE d.sign > 0 AND NOT EXISTS (SELECT 1 FROM observation_summary_seen s
        WHERE s.concept_id = d.concept_id AND s.person_id = d.person_id)
      GROUP BY concept_id) g WHERE g.concept_id = x.concept_id;
    UPDATE _os_delta x SET patients = x.patients - g.n FROM (
      SELECT concept_id, COUNT(DISTINCT person_id) AS n FROM _os_side d
      WHERE d.sign < 0 AND NOT EXISTS (SELECT 1 FROM observations o
        WHERE o.concept_id = d.concept_id AND o.person_id = d.person_id)
      GROUP BY concept_id) g WHERE g.concept_id = x.concept_id;
    UPDATE _os_delta x SET encounters = x.encounters + g.n FROM (
      SELECT concept_id, COUNT(DISTINCT encounter_id) AS n FROM _os_side d
      WHERE d.sign > 0 AND d.encounter_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM observation_summary_seen s
        WHERE s.concept_id = d.concept_id AND s.encounter_id = d.encounter_id)
      GROUP BY concept_id) g WHERE g.concept_id = x.concept_id;
    UPDATE _os_delta x SET encounters = x.encounters - g.n FROM (
      SELECT concept_id, COUNT(DISTINCT encounter_id) AS n FROM _os_side d
      WHERE d.sign < 0 AND d.encounter_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM observations o
        WHERE o.encounter_id = d.encounter_id AND o.concept_id = d.concept_id)
      GROUP BY concept_id) g WHERE g.concept_id = x.concept_id;

    -- the last summary's rows of those concepts, with their sums
    EXECUTE format('CREATE TEMPORARY TABLE _os_old ON COMMIT DROP AS SELECT r.*, m.value_sum'
      ' FROM %I r JOIN _os_delta x ON x.concept_id = r.concept_id'
      ' LEFT JOIN observation_summary_sums m ON m.concept_id = r.concept_id', tbl);
    INSERT INTO _os_rows
    SELECT x.concept_id, NULL, NULL,
           COALESCE(r.observations, 0) + x.observations,
           COALESCE(r.patients, 0) + x.patients,
           COALESCE(r.encounters, 0) + x.encounters,
           COALESCE(r.numeric_values, 0) + x.numeric_values,
           CASE WHEN r.min_value IS NULL OR x.min_value < r.min_value THEN x.min_value
                ELSE r.min_value END,
           NULL,
           CASE WHEN r.max_value IS NULL OR x.max_value > r.max_value THEN x.max_value
                ELSE r.max_value END,
           CASE WHEN r.first_obs_at IS NULL OR x.first_obs_at < r.first_obs_at
                THEN x.first_obs_at ELSE r.first_obs_at END,
           CASE WHEN r.last_obs_at IS NULL OR x.last_obs_at > r.last_obs_at
                THEN x.last_obs_at ELSE r.last_obs_at END
    FROM _os_delta x LEFT JOIN _os_old r ON r.concept_id = x.concept_id;
    INSERT INTO _os_sums
    SELECT x.concept_id, CASE WHEN COALESCE(r.numeric_values, 0) + x.numeric_values > 0
                              THEN COALESCE(r.value_sum, 0) + x.value_sum END
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
  SELECT o.concept_id, SUM(CAST(o.value_numeric AS numeric(30,10)))
  FROM _os_again k
  JOIN observations o ON o.concept_id = k.concept_id
  GROUP BY o.concept_id;
  -- a concept without observations has no row; the mean from the sum, the
  -- name and datatype from one row (all rows of a concept carry the same
  -- name: a rename stamps them all): the last entry of that index
  DELETE FROM _os_rows WHERE observations <= 0;
  UPDATE _os_rows r SET avg_value = CAST(m.value_sum / r.numeric_values AS numeric(24,4))
  FROM _os_sums m WHERE m.concept_id = r.concept_id AND r.numeric_values > 0;
  UPDATE _os_rows r SET concept_name = n.concept_name, concept_datatype = n.concept_datatype
  FROM observations n
  WHERE n.obs_id = (
    SELECT o.obs_id FROM observations o WHERE o.concept_id = r.concept_id
    ORDER BY o.person_id DESC, o.encounter_id DESC, o.value_numeric DESC,
             o.obs_datetime DESC, o.obs_id DESC
    LIMIT 1);

  IF since IS NULL THEN
    EXECUTE format('CREATE TABLE %I (LIKE _os_rows INCLUDING DEFAULTS INCLUDING INDEXES)', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _os_rows', tbl);
    DROP TABLE IF EXISTS observation_summary_sums, observation_summary_seen;
    CREATE TABLE observation_summary_sums (
      concept_id integer NOT NULL PRIMARY KEY, value_sum numeric(40,10) NULL);
    INSERT INTO observation_summary_sums SELECT concept_id, value_sum FROM _os_sums;
    CREATE TABLE observation_summary_seen (
      obs_id integer NOT NULL PRIMARY KEY, concept_id integer NOT NULL,
      person_id integer NOT NULL, encounter_id integer NULL,
      value_numeric double precision NULL, obs_datetime timestamp NOT NULL);
    INSERT INTO observation_summary_seen
      SELECT obs_id, concept_id, person_id, encounter_id, value_numeric, obs_datetime
      FROM observations;
    CREATE INDEX ON observation_summary_seen (concept_id, person_id);
    CREATE INDEX ON observation_summary_seen (concept_id, encounter_id);
  ELSE
    INSERT INTO _os_touched SELECT concept_id FROM _os_again ON CONFLICT DO NOTHING;
    EXECUTE format('DELETE FROM %I t USING _os_touched k WHERE t.concept_id = k.concept_id', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _os_rows', tbl);
    DELETE FROM observation_summary_sums m USING _os_touched k WHERE m.concept_id = k.concept_id;
    INSERT INTO observation_summary_sums
      SELECT m.concept_id, m.value_sum FROM _os_sums m
      JOIN _os_rows r ON r.concept_id = m.concept_id;
    DELETE FROM observation_summary_seen s USING _os_chg c WHERE c.obs_id = s.obs_id;
    INSERT INTO observation_summary_seen
      SELECT obs_id, n_concept, n_person, n_encounter, n_value, n_at FROM _os_chg WHERE now;
    DROP TABLE _os_chg, _os_side, _os_delta, _os_old;
  END IF;
  DROP TABLE _os_touched, _os_again, _os_rows, _os_sums;
END;
$$;
