-- demo-source.sql: a small clinic source in the current database.
-- Set @patients first (default 200); each patient gets 1-6 encounters and each
-- encounter 3 observations. Uses MariaDB's built-in sequence tables.
SET @patients = COALESCE(@patients, 200);

DROP TABLE IF EXISTS obs, encounter, patient;
CREATE TABLE patient (
  patient_id INT NOT NULL PRIMARY KEY,
  given_name VARCHAR(50) NOT NULL,
  family_name VARCHAR(50) NOT NULL,
  gender CHAR(1) NOT NULL,
  birthdate DATE,
  date_created DATETIME NOT NULL,
  date_changed DATETIME NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  date_voided DATETIME NULL
);
CREATE TABLE encounter (
  encounter_id INT NOT NULL PRIMARY KEY,
  patient_id INT NOT NULL,
  location VARCHAR(50) NOT NULL,
  encounter_type VARCHAR(50) NOT NULL,
  encounter_datetime DATETIME NOT NULL,
  date_created DATETIME NOT NULL,
  date_changed DATETIME NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  date_voided DATETIME NULL,
  KEY (patient_id)
);
CREATE TABLE obs (
  obs_id INT NOT NULL PRIMARY KEY,
  encounter_id INT NOT NULL,
  person_id INT NOT NULL,
  concept VARCHAR(50) NOT NULL,
  value_numeric DOUBLE NULL,
  value_text TEXT NULL,
  obs_datetime DATETIME NOT NULL,
  date_created DATETIME NOT NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  date_voided DATETIME NULL,
  KEY (encounter_id)
);

INSERT INTO patient
SELECT s.seq,
       ELT(1 + s.seq % 8, 'Amina', 'Joseph', 'Grace', 'Peter', 'Fatuma', 'John', 'Mary', 'Daniel'),
       ELT(1 + (s.seq DIV 8) % 6, 'Otieno', 'Mwangi', 'Achieng', 'Kamau', 'Wanjiru', 'Njoroge'),
       IF(s.seq % 2, 'F', 'M'),
       DATE('1950-01-01') + INTERVAL (s.seq * 7919) % 25000 DAY,
       NOW() - INTERVAL 400 DAY + INTERVAL s.seq MINUTE, NULL, 0, NULL
FROM seq_1_to_1000000 s WHERE s.seq <= @patients;

INSERT INTO encounter
SELECT p.patient_id * 10 + e.seq, p.patient_id,
       ELT(1 + (p.patient_id + e.seq) % 3, 'Outpatient Clinic', 'Maternity Ward', 'Laboratory'),
       ELT(1 + e.seq % 3, 'Adult Visit', 'Vitals', 'Lab Results'),
       p.date_created + INTERVAL e.seq * 30 DAY,
       p.date_created + INTERVAL e.seq * 30 DAY, NULL, 0, NULL
FROM patient p JOIN seq_1_to_6 e ON e.seq <= 1 + p.patient_id % 6;

INSERT INTO obs
SELECT e.encounter_id * 10 + c.seq, e.encounter_id, e.patient_id,
       ELT(c.seq, 'WEIGHT (KG)', 'SYSTOLIC BLOOD PRESSURE', 'CLINICAL NOTES'),
       CASE c.seq WHEN 1 THEN 50 + (e.encounter_id * 37) % 400 / 10
                  WHEN 2 THEN 100 + (e.encounter_id * 13) % 60 END,
       IF(c.seq = 3, CONCAT('note for visit ', e.encounter_id), NULL),
       e.encounter_datetime, e.date_created, 0, NULL
FROM encounter e JOIN seq_1_to_3 c;
