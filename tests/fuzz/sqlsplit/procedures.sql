-- procedures.sql: stored routines and a trigger for the sqlsplit tests;
-- comments here hold semicolons; and 'unbalanced quotes, which must not matter

CREATE TABLE IF NOT EXISTS visit (
	visit_id INT PRIMARY KEY,
	patient_id INT NOT NULL,
	date_started DATETIME NOT NULL,
	voided TINYINT NOT NULL DEFAULT 0
) COMMENT 'visits; one per stay';
CREATE TABLE IF NOT EXISTS patient_summary (patient_id INT, visit_date DATE, label TEXT);
CREATE TABLE IF NOT EXISTS notes (patient_id INT, body VARCHAR(255));
CREATE TABLE IF NOT EXISTS obs (obs_id INT, value_text TEXT);

DROP PROCEDURE IF EXISTS refresh_patient_summary;
DROP PROCEDURE IF EXISTS note_visit;
DROP TRIGGER IF EXISTS obs_bi;

DELIMITER $$

/* rebuilds the summary table; safe to rerun */
CREATE PROCEDURE refresh_patient_summary(IN since DATE)
BEGIN
	DECLARE n INT DEFAULT 0; -- counter; unused
	# hash comment with a quote: don't split here;
	DELETE FROM patient_summary WHERE visit_date >= since;
	INSERT INTO patient_summary (patient_id, visit_date, label)
	SELECT v.patient_id, DATE(v.date_started), CONCAT('visit; ', "it\"s", ' it''s')
	FROM visit v
	WHERE v.date_started >= since AND v.voided = 0;
	SET n = ROW_COUNT();
	SELECT CONCAT('refreshed ', n, ' rows; done') AS `result;col`;
END$$

CREATE PROCEDURE note_visit(IN pid INT, IN note VARCHAR(255))
	COMMENT 'writes one note; see ''notes'' table'
BEGIN
	INSERT INTO notes (patient_id, body) VALUES (pid, note);
END $$

DELIMITER ;

CALL note_visit(1, 'first; note');

delimiter ;;
CREATE TRIGGER obs_bi BEFORE INSERT ON obs FOR EACH ROW
BEGIN
	IF NEW.value_text = '' THEN
		SET NEW.value_text = 'empty;;not really';
	END IF;
END;;
delimiter ;

-- done; nothing after this is a statement
/* nor this; */
