-- location_summary: one row per location: how many patients, visits,
-- encounters and observations it saw, and its first and last activity (the
-- oldest and newest encounter or observation there). The PL/pgSQL spelling
-- of sql/openmrs/summary/location_summary.sql: the same columns and rows.
--
-- CALL chacc_openmrs_location_summary(table, since):
--   since NULL (a full build): creates "table" and fills it for every location.
--   since set (incremental): recomputes, in "table", the rows of the locations
--   touched after "since": locations and observations whose _chacc_changed_at
--   is newer, encounters whose counted columns changed, the encounters and
--   observations removed since (etl_deletes), and the old location of an
--   encounter moved elsewhere. Every lookup goes through an index.
-- A CALL is one transaction: its temporary tables go with it (ON COMMIT DROP).
--
-- location_summary_seen remembers each encounter's location, patient, visit
-- and date as this summary last counted them: an encounter whose row changed
-- elsewhere (its location renamed) touches nothing more than its location's
-- name does, and when an encounter moves, the location it left is recomputed
-- too.
CREATE OR REPLACE PROCEDURE chacc_openmrs_location_summary(tbl text, since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp._ls_touched, pg_temp._ls_seen, pg_temp._ls_gone,
    pg_temp._ls_encounters, pg_temp._ls_observations, pg_temp._ls_rows;
  CREATE TEMPORARY TABLE _ls_touched (location_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  -- the encounters whose location, patient, visit or date differ from what was counted
  CREATE TEMPORARY TABLE _ls_seen (
    encounter_id integer NOT NULL PRIMARY KEY, location_id integer NULL,
    patient_id integer NOT NULL, visit_id integer NULL, encounter_datetime timestamp NOT NULL,
    old_location_id integer NULL) ON COMMIT DROP;
  CREATE TEMPORARY TABLE _ls_gone (encounter_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  IF since IS NULL THEN
    INSERT INTO _ls_touched SELECT location_id FROM locations;
  ELSE
    INSERT INTO _ls_touched
      SELECT location_id FROM locations WHERE _chacc_changed_at > since
      ON CONFLICT DO NOTHING;
    -- an encounter removed since counts as not seen, even if it came back
    INSERT INTO _ls_gone
      SELECT CAST(CAST(key_json AS jsonb) ->> 'encounter_id' AS integer) FROM etl_deletes
      WHERE target = 'encounters' AND deleted_at > since
      ON CONFLICT DO NOTHING;
    INSERT INTO _ls_seen
      SELECT e.encounter_id, e.location_id, e.patient_id, e.visit_id, e.encounter_datetime,
             s.location_id
      FROM encounters e
      LEFT JOIN _ls_gone g ON g.encounter_id = e.encounter_id
      LEFT JOIN location_summary_seen s
        ON s.encounter_id = e.encounter_id AND g.encounter_id IS NULL
      WHERE e._chacc_changed_at > since
        AND NOT (s.encounter_id IS NOT NULL AND s.location_id IS NOT DISTINCT FROM e.location_id
                 AND s.patient_id IS NOT DISTINCT FROM e.patient_id
                 AND s.visit_id IS NOT DISTINCT FROM e.visit_id
                 AND s.encounter_datetime IS NOT DISTINCT FROM e.encounter_datetime);
    INSERT INTO _ls_touched
      SELECT location_id FROM _ls_seen WHERE location_id IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO _ls_touched
      SELECT old_location_id FROM _ls_seen WHERE old_location_id IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO _ls_touched
      SELECT location_id FROM observations
      WHERE _chacc_changed_at > since AND location_id IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO _ls_touched
      SELECT l FROM (
        SELECT CAST(CAST(row_json AS jsonb) ->> 'location_id' AS integer) AS l FROM etl_deletes
        WHERE target IN ('encounters', 'observations') AND deleted_at > since) d
      WHERE l IS NOT NULL
      ON CONFLICT DO NOTHING;
  END IF;

  CREATE TEMPORARY TABLE _ls_encounters ON COMMIT DROP AS
  SELECT e.location_id, COUNT(DISTINCT e.patient_id) AS patients,
         COUNT(DISTINCT e.visit_id) AS visits, COUNT(*) AS encounters,
         MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at
  FROM _ls_touched k JOIN encounters e ON e.location_id = k.location_id
  GROUP BY e.location_id;

  CREATE TEMPORARY TABLE _ls_observations ON COMMIT DROP AS
  SELECT o.location_id, COUNT(*) AS observations, MIN(o.obs_datetime) AS first_obs_at,
         MAX(o.obs_datetime) AS last_obs_at
  FROM _ls_touched k JOIN observations o ON o.location_id = k.location_id
  GROUP BY o.location_id;

  CREATE TEMPORARY TABLE _ls_rows (
    location_id integer NOT NULL PRIMARY KEY,
    location_name varchar(255) NOT NULL,
    parent_location_name varchar(255) NULL,
    retired smallint NOT NULL DEFAULT 0,
    patients integer NOT NULL DEFAULT 0,
    visits integer NOT NULL DEFAULT 0,
    encounters integer NOT NULL DEFAULT 0,
    observations integer NOT NULL DEFAULT 0,
    first_activity_at timestamp NULL,
    last_activity_at timestamp NULL
  ) ON COMMIT DROP;
  -- LEAST and GREATEST skip NULLs here, and return NULL in MariaDB: the
  -- COALESCEs give them both values or none, so that both read the same
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
    EXECUTE format('CREATE TABLE %I (LIKE _ls_rows INCLUDING DEFAULTS INCLUDING INDEXES)', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _ls_rows', tbl);
    DROP TABLE IF EXISTS location_summary_seen;
    CREATE TABLE location_summary_seen (
      encounter_id integer NOT NULL PRIMARY KEY, location_id integer NULL,
      patient_id integer NOT NULL, visit_id integer NULL, encounter_datetime timestamp NOT NULL);
    INSERT INTO location_summary_seen
      SELECT encounter_id, location_id, patient_id, visit_id, encounter_datetime FROM encounters;
  ELSE
    EXECUTE format('DELETE FROM %I t USING _ls_touched k WHERE t.location_id = k.location_id', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _ls_rows', tbl);
    DELETE FROM location_summary_seen s USING _ls_gone g WHERE s.encounter_id = g.encounter_id;
    INSERT INTO location_summary_seen
        (encounter_id, location_id, patient_id, visit_id, encounter_datetime)
      SELECT encounter_id, location_id, patient_id, visit_id, encounter_datetime FROM _ls_seen
      ON CONFLICT (encounter_id) DO UPDATE SET location_id = EXCLUDED.location_id,
        patient_id = EXCLUDED.patient_id, visit_id = EXCLUDED.visit_id,
        encounter_datetime = EXCLUDED.encounter_datetime;
  END IF;
  DROP TABLE _ls_touched, _ls_seen, _ls_gone, _ls_encounters, _ls_observations, _ls_rows;
END;
$$;
