-- encounters: one row per encounter, with the names of its type, location
-- and visit type.
--
-- changed_at is the newest change of the encounter, its visit, its type and
-- its location (a renamed location renames it here), and the voiding of its
-- patient. voided is true when the encounter or its patient is voided: the
-- encounters of a voided patient leave the analytics tables with it.
-- The rows changed since ${since} (watermark minus lookback; NULL in a full
-- build, and when the table was empty: then all rows are read).
SELECT q.* FROM (
  SELECT e.encounter_id,
         e.patient_id,
         e.encounter_type AS encounter_type_id,
         et.name AS encounter_type,
         e.encounter_datetime,
         e.location_id,
         l.name AS location_name,
         e.visit_id,
         vt.name AS visit_type,
         v.date_started AS visit_started,
         v.date_stopped AS visit_stopped,
         e.form_id,
         e.date_created,
         GREATEST(e.date_created,
                  COALESCE(e.date_changed, e.date_created),
                  COALESCE(e.date_voided, e.date_created),
                  COALESCE(v.date_created, e.date_created),
                  COALESCE(v.date_changed, e.date_created),
                  COALESCE(v.date_voided, e.date_created),
                  COALESCE(et.date_changed, e.date_created),
                  COALESCE(l.date_changed, e.date_created),
                  COALESCE(pt.date_voided, e.date_created),
                  COALESCE(ps.date_voided, e.date_created)) AS changed_at,
         e.voided OR COALESCE(pt.voided, 0) OR COALESCE(ps.voided, 0) AS voided
  FROM encounter e
  LEFT JOIN patient pt ON pt.patient_id = e.patient_id
  LEFT JOIN person ps ON ps.person_id = e.patient_id
  LEFT JOIN encounter_type et ON et.encounter_type_id = e.encounter_type
  LEFT JOIN location l ON l.location_id = e.location_id
  LEFT JOIN visit v ON v.visit_id = e.visit_id
  LEFT JOIN visit_type vt ON vt.visit_type_id = v.visit_type_id
) AS q
WHERE ${since} IS NULL OR q.changed_at >= ${since}
