-- a day of changes, OpenMRS style: @E@ obs are edited, that is voided and
-- replaced by a corrected copy (2 x @E@ rows change); run @REP@ picks other rows
CREATE TEMPORARY TABLE bench_pick AS
  SELECT obs_id FROM obs WHERE voided = 0 AND obs_id % 1009 = @REP@ ORDER BY obs_id LIMIT @E@;
SET @last = (SELECT MAX(obs_id) FROM obs);
INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, order_id, obs_datetime,
  location_id, obs_group_id, value_coded, value_coded_name_id, value_datetime, value_numeric,
  value_text, comments, creator, date_created, voided, uuid, previous_version,
  form_namespace_and_path, status)
SELECT @last + ROW_NUMBER() OVER (ORDER BY o.obs_id), o.person_id, o.concept_id, o.encounter_id,
  o.order_id, o.obs_datetime, o.location_id, o.obs_group_id, o.value_coded,
  o.value_coded_name_id, o.value_datetime, o.value_numeric + 1,
  IF(o.value_text IS NULL, NULL, CONCAT(o.value_text, ' (corrected)')), o.comments, 2, NOW(), 0,
  UUID(), o.obs_id, o.form_namespace_and_path, 'AMENDED'
FROM obs o JOIN bench_pick p ON p.obs_id = o.obs_id;
UPDATE obs o JOIN bench_pick p ON p.obs_id = o.obs_id
  SET o.voided = 1, o.voided_by = 2, o.date_voided = NOW(), o.void_reason = 'edited';
DROP TEMPORARY TABLE bench_pick;
