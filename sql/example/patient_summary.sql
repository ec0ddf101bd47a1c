-- the summary is written by a procedure that takes the table to fill
DROP PROCEDURE IF EXISTS example_patient_summary;
DELIMITER $$
CREATE PROCEDURE example_patient_summary(IN tbl VARCHAR(64))
BEGIN
  SET @ddl = CONCAT('CREATE OR REPLACE TABLE `', tbl, '` (',
    'patient_id INT NOT NULL PRIMARY KEY, patient_name VARCHAR(101), ',
    'encounters INT NOT NULL, first_encounter DATETIME, last_encounter DATETIME, ',
    'observations INT NOT NULL, last_weight DECIMAL(6,1))');
  PREPARE s FROM @ddl; EXECUTE s; DEALLOCATE PREPARE s;
  SET @fill = CONCAT('INSERT INTO `', tbl, '` ',
    'SELECT pe.patient_id, MAX(pe.patient_name), COUNT(DISTINCT pe.encounter_id), ',
    'MIN(pe.encounter_datetime), MAX(pe.encounter_datetime), ',
    '(SELECT COUNT(*) FROM observations o WHERE o.person_id = pe.patient_id), ',
    '(SELECT o.value_numeric FROM observations o WHERE o.person_id = pe.patient_id ',
    ' AND o.concept = ''WEIGHT (KG)'' ORDER BY o.obs_datetime DESC, o.obs_id DESC LIMIT 1) ',
    'FROM patient_encounters pe GROUP BY pe.patient_id');
  PREPARE s FROM @fill; EXECUTE s; DEALLOCATE PREPARE s;
END$$
DELIMITER ;
