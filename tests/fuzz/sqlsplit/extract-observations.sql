-- observations: one row per obs, with the concept's preferred English name
-- and the value in typed columns: value_numeric, value_coded (with its
-- concept's name in value_coded_name), value_text, value_datetime.
--
-- OpenMRS never updates an obs: an edit voids it and saves a new one
-- (previous_version), so obs has no date_changed. changed_at is the newest
-- of its creation and voiding, the voiding or editing of its encounter and
-- patient (an unvoided encounter unvoids its obs), and any change of its
-- concepts' names (a renamed concept renames its obs here). voided is true
-- when the obs, its encounter or its patient is voided.
--
-- A concept's name: the English locale-preferred name, else an English fully
-- specified one, else any English name, else the locale-preferred fully
-- specified name of another locale (voided names never count). The concept
-- tables below are grouped so that they are computed once per concept, not
-- once per obs.
-- The rows changed since ${since} (watermark minus lookback; NULL in a full
-- build, and when the table was empty: then all rows are read).
SELECT q.* FROM (
  SELECT o.obs_id,
         o.person_id,
         o.encounter_id,
         o.obs_datetime,
         o.location_id,
         o.obs_group_id,
         o.concept_id,
         c.uuid AS concept_uuid,
         c.name AS concept_name,
         c.datatype AS concept_datatype,
         o.value_numeric,
         o.value_coded,
         vc.name AS value_coded_name,
         o.value_text,
         o.value_datetime,
         o.value_drug,
         o.comments,
         o.date_created,
         GREATEST(o.date_created,
                  COALESCE(o.date_voided, o.date_created),
                  COALESCE(e.date_changed, o.date_created),
                  COALESCE(e.date_voided, o.date_created),
                  COALESCE(ps.date_changed, o.date_created),
                  COALESCE(ps.date_voided, o.date_created),
                  COALESCE(pt.date_changed, o.date_created),
                  COALESCE(pt.date_voided, o.date_created),
                  COALESCE(c.changed_at, o.date_created),
                  COALESCE(vc.changed_at, o.date_created)) AS changed_at,
         o.voided OR COALESCE(e.voided, 0) OR COALESCE(ps.voided, 0)
             OR COALESCE(pt.voided, 0) AS voided
  FROM obs o
  LEFT JOIN encounter e ON e.encounter_id = o.encounter_id
  LEFT JOIN person ps ON ps.person_id = o.person_id
  LEFT JOIN patient pt ON pt.patient_id = o.person_id
  LEFT JOIN (
          SELECT cc.concept_id, cc.uuid, cd.name AS datatype,
                 (SELECT n.name FROM concept_name n
                  WHERE n.concept_id = cc.concept_id AND n.voided = 0
                  ORDER BY n.locale = 'en' DESC, n.locale LIKE 'en%' DESC,
                           n.locale_preferred DESC, n.concept_name_type = 'FULLY_SPECIFIED' DESC,
                           n.concept_name_id
                  LIMIT 1) AS name,
                 GREATEST(cc.date_created, COALESCE(cc.date_changed, cc.date_created),
                          COALESCE((SELECT MAX(GREATEST(n.date_created,
                                                        COALESCE(n.date_voided, n.date_created)))
                                    FROM concept_name n WHERE n.concept_id = cc.concept_id),
                                   cc.date_created)) AS changed_at
          FROM concept cc
          LEFT JOIN concept_datatype cd ON cd.concept_datatype_id = cc.datatype_id
          GROUP BY cc.concept_id) c
         ON c.concept_id = o.concept_id
  LEFT JOIN (
          SELECT cc.concept_id,
                 (SELECT n.name FROM concept_name n
                  WHERE n.concept_id = cc.concept_id AND n.voided = 0
                  ORDER BY n.locale = 'en' DESC, n.locale LIKE 'en%' DESC,
                           n.locale_preferred DESC, n.concept_name_type = 'FULLY_SPECIFIED' DESC,
                           n.concept_name_id
                  LIMIT 1) AS name,
                 GREATEST(cc.date_created, COALESCE(cc.date_changed, cc.date_created),
                          COALESCE((SELECT MAX(GREATEST(n.date_created,
                                                        COALESCE(n.date_voided, n.date_created)))
                                    FROM concept_name n WHERE n.concept_id = cc.concept_id),
                                   cc.date_created)) AS changed_at
          FROM concept cc
          GROUP BY cc.concept_id) vc
         ON vc.concept_id = o.value_coded
) AS q
WHERE ${since} IS NULL OR q.changed_at >= ${since}
