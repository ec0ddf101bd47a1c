-- observation_summary: one row per concept observed: how many observations,
-- patients and encounters, the numeric range and mean, the first and last
-- observation date. The PL/pgSQL spelling of
-- sql/openmrs/summary/observation_summary.sql: the same columns and rows.
--
-- CALL chacc_openmrs_observation_summary(table, since):
--   since NULL (a full build): creates "table" and fills it for every concept.
--   since set (incremental): recomputes, in "table", the rows of the concepts
--   touched after "since": those of observations whose _chacc_changed_at is
--   newer (a renamed concept touches all of its observations) and of the
--   observations removed since (etl_deletes).
-- A CALL is one transaction: its temporary tables go with it (ON COMMIT DROP).
-- The mean is computed in numeric, so that it does not depend on the order
-- in which rows are added up: a full and an incremental build agree exactly.
CREATE OR REPLACE PROCEDURE chacc_openmrs_observation_summary(tbl text, since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp._os_touched, pg_temp._os_rows;
  CREATE TEMPORARY TABLE _os_touched (concept_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  IF since IS NULL THEN
    INSERT INTO _os_touched SELECT DISTINCT concept_id FROM observations;
  ELSE
    INSERT INTO _os_touched
      SELECT concept_id FROM observations WHERE _chacc_changed_at > since
      ON CONFLICT DO NOTHING;
    INSERT INTO _os_touched
      SELECT c FROM (
        SELECT CAST(CAST(row_json AS jsonb) ->> 'concept_id' AS integer) AS c FROM etl_deletes
        WHERE target = 'observations' AND deleted_at > since) d
      WHERE c IS NOT NULL
      ON CONFLICT DO NOTHING;
  END IF;

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
           CAST(AVG(CAST(o.value_numeric AS numeric(30,10))) AS numeric(24,4)) AS avg_value,
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
    EXECUTE format('CREATE TABLE %I (LIKE _os_rows INCLUDING DEFAULTS INCLUDING INDEXES)', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _os_rows', tbl);
  ELSE
    EXECUTE format('DELETE FROM %I t USING _os_touched k WHERE t.concept_id = k.concept_id', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _os_rows', tbl);
  END IF;
  DROP TABLE _os_touched, _os_rows;
END;
$$;
