-- @N@ rows of obs, fast: one INSERT ... SELECT over the sequence engine.
-- 8 obs per encounter, ~100 per patient, 3000 concepts; half numeric, 30%
-- coded, 20% text of which 1 in 10 a long note (up to 2.8 kB) and some with
-- tabs, newlines, backslashes and non-ASCII; 1 row in 41 voided; dates 2016-2023.
INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, order_id, obs_datetime, location_id,
  obs_group_id, value_coded, value_coded_name_id, value_datetime, value_numeric, value_text,
  comments, creator, date_created, voided, voided_by, date_voided, void_reason, uuid,
  form_namespace_and_path, status)
SELECT s.seq,
  1 + (s.enc * 7919) % (@N@ DIV 100 + 1),
  1 + (s.seq * 104729) % 3000,
  s.enc,
  IF(s.seq % 17 = 0, s.seq DIV 17, NULL),
  s.dt,
  1 + s.enc % 37,
  IF(s.seq % 10 IN (3, 4), s.seq - s.seq % 10 + 2, NULL),
  IF(s.seq % 10 BETWEEN 5 AND 7, 1 + (s.seq * 31) % 5000, NULL),
  IF(s.seq % 10 BETWEEN 5 AND 7, 1 + (s.seq * 31) % 9000, NULL),
  IF(s.seq % 97 = 0, s.dt - INTERVAL (s.seq % 400) DAY, NULL),
  IF(s.seq % 10 < 5, ROUND(((s.seq * 2654435761) % 1000003) / 997.0, 2), NULL),
  CASE WHEN s.seq % 50 = 9 THEN CONCAT('Clinical note ', s.seq, ': ',
         REPEAT('Patient reports intermittent pain; vitals stable. Plan: review in 2 weeks. ',
                1 + s.seq % 37))
       WHEN s.seq % 10 = 8 THEN CONCAT('résumé ', s.seq % 1000,
         IF(s.seq % 7 = 0, '\tTab\\back\nline ✓', ''))
       WHEN s.seq % 10 = 9 THEN CONCAT('free text ', HEX(s.seq))
       ELSE NULL END,
  IF(s.seq % 23 = 0, CONCAT('comment ', s.seq), NULL),
  1 + s.seq % 53,
  s.dt + INTERVAL (s.seq % 3600) SECOND,
  s.seq % 41 = 0,
  IF(s.seq % 41 = 0, 1 + s.seq % 53, NULL),
  IF(s.seq % 41 = 0, s.dt + INTERVAL 2 DAY, NULL),
  IF(s.seq % 41 = 0, 'entered in error', NULL),
  UUID(),
  IF(s.seq % 13 = 0, CONCAT('HtmlFormEntry^form', s.seq % 11, '/', s.seq % 100, '-0'), NULL),
  'FINAL'
FROM (SELECT seq, seq DIV 8 + 1 AS enc,
             TIMESTAMP('2016-01-01') + INTERVAL (((seq DIV 8 + 1) * 2654435761) % 252288000) SECOND AS dt
      FROM seq_1_to_@N@) AS s;
