-- patient_summary: one row per patient: who, first and last encounter,
-- counts of encounters, visits and observations, and the latest value of
-- each vital sign (CIEL concepts, found by uuid) with the BMI they give.
-- The PL/pgSQL spelling of sql/openmrs/summary/patient_summary.sql: the same
-- columns and rows.
--
-- CALL chacc_openmrs_patient_summary(table, since):
--   since NULL (a full build): creates "table" and fills it for every patient.
--   since set (incremental): recomputes, in "table", the rows of the patients
--   touched after "since": patients and observations whose _chacc_changed_at
--   is newer, encounters whose counted columns changed, the ones removed since
--   (etl_deletes), and the old patient of an encounter moved to another
--   patient. Every lookup goes through an index: the cost follows the patients
--   touched, not the tables.
-- A CALL is one transaction: its temporary tables go with it (ON COMMIT DROP).
--
-- patient_summary_seen remembers each encounter's patient, date and visit as
-- this summary last counted them: an encounter whose row changed elsewhere
-- (its location renamed or moved) touches no patient, and when an encounter
-- moves to another patient (a merge), the patient it left is recomputed too.
CREATE OR REPLACE PROCEDURE chacc_openmrs_patient_summary(tbl text, since timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp._ps_touched, pg_temp._ps_seen, pg_temp._ps_gone,
    pg_temp._ps_encounters, pg_temp._ps_observations, pg_temp._ps_vitals, pg_temp._ps_rows;
  CREATE TEMPORARY TABLE _ps_touched (patient_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  -- the encounters whose patient, date or visit differ from what was counted
  CREATE TEMPORARY TABLE _ps_seen (
    encounter_id integer NOT NULL PRIMARY KEY, patient_id integer NOT NULL,
    encounter_datetime timestamp NOT NULL, visit_id integer NULL,
    old_patient_id integer NULL) ON COMMIT DROP;
  CREATE TEMPORARY TABLE _ps_gone (encounter_id integer NOT NULL PRIMARY KEY) ON COMMIT DROP;
  IF since IS NULL THEN
    INSERT INTO _ps_touched SELECT patient_id FROM patients;
  ELSE
    INSERT INTO _ps_touched
      SELECT patient_id FROM patients WHERE _chacc_changed_at > since
      ON CONFLICT DO NOTHING;
    -- an encounter removed since counts as not seen, even if it came back
    INSERT INTO _ps_gone
      SELECT CAST(CAST(key_json AS jsonb) ->> 'encounter_id' AS integer) FROM etl_deletes
      WHERE target = 'encounters' AND deleted_at > since
      ON CONFLICT DO NOTHING;
    INSERT INTO _ps_seen
      SELECT e.encounter_id, e.patient_id, e.encounter_datetime, e.visit_id, s.patient_id
      FROM encounters e
      LEFT JOIN _ps_gone g ON g.encounter_id = e.encounter_id
      LEFT JOIN patient_summary_seen s ON s.encounter_id = e.encounter_id AND g.encounter_id IS NULL
      WHERE e._chacc_changed_at > since
        AND NOT (s.encounter_id IS NOT NULL AND s.patient_id IS NOT DISTINCT FROM e.patient_id
                 AND s.encounter_datetime IS NOT DISTINCT FROM e.encounter_datetime
                 AND s.visit_id IS NOT DISTINCT FROM e.visit_id);
    INSERT INTO _ps_touched SELECT patient_id FROM _ps_seen ON CONFLICT DO NOTHING;
    INSERT INTO _ps_touched
      SELECT old_patient_id FROM _ps_seen WHERE old_patient_id IS NOT NULL
      ON CONFLICT DO NOTHING;
    INSERT INTO _ps_touched
      SELECT person_id FROM observations WHERE _chacc_changed_at > since
      ON CONFLICT DO NOTHING;
    INSERT INTO _ps_touched
      SELECT p FROM (
        SELECT CAST(CAST(row_json AS jsonb) ->> 'patient_id' AS integer) AS p FROM etl_deletes
        WHERE target IN ('patients', 'encounters') AND deleted_at > since
        UNION ALL
        SELECT CAST(CAST(row_json AS jsonb) ->> 'person_id' AS integer) FROM etl_deletes
        WHERE target = 'observations' AND deleted_at > since) d
      WHERE p IS NOT NULL
      ON CONFLICT DO NOTHING;
  END IF;

  CREATE TEMPORARY TABLE _ps_encounters ON COMMIT DROP AS
  SELECT e.patient_id, MIN(e.encounter_datetime) AS first_encounter_at,
         MAX(e.encounter_datetime) AS last_encounter_at, COUNT(*) AS encounters,
         COUNT(DISTINCT e.visit_id) AS visits
  FROM _ps_touched k JOIN encounters e ON e.patient_id = k.patient_id
  GROUP BY e.patient_id;

  CREATE TEMPORARY TABLE _ps_observations ON COMMIT DROP AS
  SELECT o.person_id AS patient_id, COUNT(*) AS observations,
         MAX(o.obs_datetime) AS last_observation_at
  FROM _ps_touched k JOIN observations o ON o.person_id = k.patient_id
  GROUP BY o.person_id;

  -- the newest value of each vital: by obs_datetime, then obs_id
  CREATE TEMPORARY TABLE _ps_vitals ON COMMIT DROP AS
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
    patient_id integer NOT NULL PRIMARY KEY,
    identifier varchar(50) NULL,
    patient_name varchar(160) NULL,
    gender varchar(50) NULL,
    birthdate date NULL,
    dead smallint NOT NULL DEFAULT 0,
    first_encounter_at timestamp NULL,
    last_encounter_at timestamp NULL,
    encounters integer NOT NULL DEFAULT 0,
    visits integer NOT NULL DEFAULT 0,
    observations integer NOT NULL DEFAULT 0,
    last_observation_at timestamp NULL,
    weight_kg double precision NULL,
    height_cm double precision NULL,
    bmi double precision NULL,
    temperature_c double precision NULL,
    systolic_bp double precision NULL,
    diastolic_bp double precision NULL,
    pulse double precision NULL,
    respiratory_rate double precision NULL,
    oxygen_saturation double precision NULL,
    last_vitals_at timestamp NULL
  ) ON COMMIT DROP;
  CREATE INDEX ON _ps_rows (last_encounter_at);
  -- the BMI rounded as MariaDB's ROUND(x, 1) rounds a double: rint(x * 10) / 10
  INSERT INTO _ps_rows
  SELECT p.patient_id, p.identifier,
         concat_ws(' ', p.given_name, p.middle_name, p.family_name),
         p.gender, p.birthdate, p.dead,
         e.first_encounter_at, e.last_encounter_at, COALESCE(e.encounters, 0),
         COALESCE(e.visits, 0), COALESCE(o.observations, 0), o.last_observation_at,
         v.weight_kg, v.height_cm,
         CASE WHEN v.height_cm > 0
              THEN round(v.weight_kg / power(v.height_cm / 100, 2) * 10) / 10 END,
         v.temperature_c, v.systolic_bp, v.diastolic_bp, v.pulse, v.respiratory_rate,
         v.oxygen_saturation, v.last_vitals_at
  FROM _ps_touched k
  JOIN patients p ON p.patient_id = k.patient_id
  LEFT JOIN _ps_encounters e ON e.patient_id = k.patient_id
  LEFT JOIN _ps_observations o ON o.patient_id = k.patient_id
  LEFT JOIN _ps_vitals v ON v.patient_id = k.patient_id;

  IF since IS NULL THEN
    EXECUTE format('CREATE TABLE %I (LIKE _ps_rows INCLUDING DEFAULTS INCLUDING INDEXES)', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _ps_rows', tbl);
    DROP TABLE IF EXISTS patient_summary_seen;
    CREATE TABLE patient_summary_seen (
      encounter_id integer NOT NULL PRIMARY KEY, patient_id integer NOT NULL,
      encounter_datetime timestamp NOT NULL, visit_id integer NULL);
    INSERT INTO patient_summary_seen
      SELECT encounter_id, patient_id, encounter_datetime, visit_id FROM encounters;
  ELSE
    EXECUTE format('DELETE FROM %I t USING _ps_touched k WHERE t.patient_id = k.patient_id', tbl);
    EXECUTE format('INSERT INTO %I SELECT * FROM _ps_rows', tbl);
    DELETE FROM patient_summary_seen s USING _ps_gone g WHERE s.encounter_id = g.encounter_id;
    INSERT INTO patient_summary_seen (encounter_id, patient_id, encounter_datetime, visit_id)
      SELECT encounter_id, patient_id, encounter_datetime, visit_id FROM _ps_seen
      ON CONFLICT (encounter_id) DO UPDATE SET patient_id = EXCLUDED.patient_id,
        encounter_datetime = EXCLUDED.encounter_datetime, visit_id = EXCLUDED.visit_id;
  END IF;
  DROP TABLE _ps_touched, _ps_seen, _ps_gone, _ps_encounters, _ps_observations, _ps_vitals,
    _ps_rows;
END;
$$;
