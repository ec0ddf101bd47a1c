-- patients: one row per OpenMRS patient, with the preferred name and
-- identifier, so that nobody needs to join back to person_name.
--
-- The name is the preferred non-voided person_name (else the first one), the
-- identifier the preferred non-voided patient_identifier (else the first).
-- changed_at is the newest change of the patient, its person, and any of its
-- names or identifiers: a rename voids a name and adds one, and both stamps
-- count. voided is true when the patient or its person is voided; such rows
-- leave the analytics tables.
-- The rows changed since ${since} (watermark minus lookback; NULL in a full
-- build, and when the table was empty: then all rows are read).
SELECT q.* FROM (
  SELECT pt.patient_id,
         pi.identifier,
         pit.name AS identifier_type,
         pn.given_name,
         pn.middle_name,
         pn.family_name,
         ps.gender,
         ps.birthdate,
         ps.birthdate_estimated,
         ps.dead,
         ps.death_date,
         pt.date_created,
         GREATEST(pt.date_created,
                  COALESCE(pt.date_changed, pt.date_created),
                  COALESCE(pt.date_voided, pt.date_created),
                  ps.date_created,
                  COALESCE(ps.date_changed, ps.date_created),
                  COALESCE(ps.date_voided, ps.date_created),
                  COALESCE(names.changed_at, pt.date_created),
                  COALESCE(ids.changed_at, pt.date_created)) AS changed_at,
         pt.voided OR ps.voided AS voided
  FROM patient pt
  JOIN person ps ON ps.person_id = pt.patient_id
  LEFT JOIN person_name pn ON pn.person_name_id = (
          SELECT n.person_name_id FROM person_name n
          WHERE n.person_id = pt.patient_id AND n.voided = 0
          ORDER BY n.preferred DESC, n.person_name_id
          LIMIT 1)
  LEFT JOIN patient_identifier pi ON pi.patient_identifier_id = (
          SELECT i.patient_identifier_id FROM patient_identifier i
          WHERE i.patient_id = pt.patient_id AND i.voided = 0
          ORDER BY i.preferred DESC, i.patient_identifier_id
          LIMIT 1)
  LEFT JOIN patient_identifier_type pit ON pit.patient_identifier_type_id = pi.identifier_type
  LEFT JOIN (
          SELECT person_id,
                 MAX(GREATEST(date_created, COALESCE(date_changed, date_created),
                              COALESCE(date_voided, date_created))) AS changed_at
          FROM person_name GROUP BY person_id) names ON names.person_id = pt.patient_id
  LEFT JOIN (
          SELECT patient_id,
                 MAX(GREATEST(date_created, COALESCE(date_changed, date_created),
                              COALESCE(date_voided, date_created))) AS changed_at
          FROM patient_identifier GROUP BY patient_id) ids ON ids.patient_id = pt.patient_id
) AS q
WHERE ${since} IS NULL OR q.changed_at >= ${since}
