-- openmrs-generate.sql: an OpenMRS-shaped source database at any scale
--
-- Fills the OpenMRS tables that recipes/openmrs.yml reads with a clinic's
-- history, after emptying them. The tables must exist: create them with
-- contrib/openmrs-schema.sql, or load a real OpenMRS schema (foreign key
-- checks are off while this runs):
--
--   SET @patients = 200;        -- default 200; about 65 obs per patient
--   SOURCE contrib/openmrs-schema.sql
--   SOURCE contrib/openmrs-generate.sql
--
-- or: (echo 'SET @patients = 15000;'; cat contrib/openmrs-schema.sql \
--      contrib/openmrs-generate.sql) | mariadb DB
--
-- Metadata follows the OpenMRS reference application and CIEL (concept ids
-- and uuids of the vitals, the visit diagnosis set, the encounter types), so
-- contrib/openmrs-changes.sql and the recipe find the same things here as in a
-- real OpenMRS database. Each patient has 1 to 11 facility visits over the
-- last three years; a visit has a Check In, most have Vitals (8 numeric obs)
-- and a Visit Note (a coded diagnosis group, a text note, a return date).
-- History has what real data has: voided encounters with their obs, vitals
-- corrected by voiding and replacing (previous_version), renamed patients
-- (a voided old name), old identifiers, edited encounters.
-- Values are pseudo-random but deterministic (CRC32 of ids); only the uuids
-- and the dates (relative to now) differ from one run to the next. MariaDB
-- only: it uses the Sequence engine's seq_1_to_N tables.
SET @patients = COALESCE(@patients, 200);
SET @base = CAST(CURDATE() - INTERVAL 1 DAY AS DATETIME);
SET @diagnoses = 12;

SET @saved_fk_checks = @@foreign_key_checks;
SET foreign_key_checks = 0;
DELETE FROM obs;
DELETE FROM encounter;
DELETE FROM visit;
DELETE FROM patient_identifier;
DELETE FROM patient;
DELETE FROM person_name;
DELETE FROM person;
DELETE FROM location;
DELETE FROM encounter_type;
DELETE FROM visit_type;
DELETE FROM patient_identifier_type;
DELETE FROM concept_name;
DELETE FROM concept;
DELETE FROM concept_datatype;

-- metadata ------------------------------------------------------------------

INSERT INTO concept_datatype (concept_datatype_id, name, hl7_abbreviation, description, creator,
	date_created, uuid) VALUES
  (1, 'Numeric', 'NM', 'Numeric value, including integer or float', 1, '2004-02-02', '8d4a4488-c2cc-11de-8d13-0010c6dffd0f'),
  (2, 'Coded', 'CWE', 'Value determined by term dictionary lookup', 1, '2004-02-02', '8d4a48b6-c2cc-11de-8d13-0010c6dffd0f'),
  (3, 'Text', 'ST', 'Free text', 1, '2004-02-02', '8d4a4ab4-c2cc-11de-8d13-0010c6dffd0f'),
  (4, 'N/A', 'ZZ', 'Not associated with a datatype', 1, '2004-02-02', '8d4a4c94-c2cc-11de-8d13-0010c6dffd0f'),
  (6, 'Date', 'DT', 'Absolute date', 1, '2004-07-22', '8d4a505e-c2cc-11de-8d13-0010c6dffd0f'),
  (8, 'Datetime', 'TS', 'Absolute date and time', 1, '2004-07-22', '8d4a5af4-c2cc-11de-8d13-0010c6dffd0f'),
  (10, 'Boolean', 'BIT', 'Boolean value (yes/no, true/false)', 1, '2004-08-26', '8d4a5cca-c2cc-11de-8d13-0010c6dffd0f');

-- CIEL ids and uuids; slot is this generator's own numbering of diagnoses
CREATE TEMPORARY TABLE gen_concept (
  concept_id int PRIMARY KEY, datatype_id int, class_id int, is_set tinyint,
  en varchar(255), en_short varchar(255), fr varchar(255), diag_slot int
);
INSERT INTO gen_concept VALUES
  (5089, 1, 1, 0, 'Weight (kg)', 'WT', 'Poids (kg)', NULL),
  (5090, 1, 1, 0, 'Height (cm)', 'HT', 'Taille (cm)', NULL),
  (5088, 1, 1, 0, 'Temperature (C)', 'TEMP', 'Température (C)', NULL),
  (5085, 1, 1, 0, 'Systolic blood pressure', 'SBP', 'Tension artérielle systolique', NULL),
  (5086, 1, 1, 0, 'Diastolic blood pressure', 'DBP', 'Tension artérielle diastolique', NULL),
  (5087, 1, 1, 0, 'Pulse', 'PULSE', 'Pouls', NULL),
  (5242, 1, 1, 0, 'Respiratory rate', 'RR', 'Fréquence respiratoire', NULL),
  (5092, 1, 1, 0, 'Blood oxygen saturation', 'SpO2', 'Saturation en oxygène', NULL),
  (159947, 4, 8, 1, 'Visit Diagnoses', NULL, 'Diagnostics de la visite', NULL),
  (1284, 2, 7, 0, 'PROBLEM LIST', NULL, 'Liste de problèmes', NULL),
  (159394, 2, 7, 0, 'Diagnosis certainty', NULL, 'Certitude du diagnostic', NULL),
  (159946, 2, 7, 0, 'Diagnosis order', NULL, 'Ordre du diagnostic', NULL),
  (161602, 3, 7, 0, 'Diagnosis or problem, non-coded', NULL, 'Diagnostic ou problème, non codé', NULL),
  (159392, 4, 11, 0, 'Confirmed diagnosis', NULL, 'Diagnostic confirmé', NULL),
  (159393, 4, 11, 0, 'Presumed diagnosis', NULL, 'Diagnostic présumé', NULL),
  (159943, 4, 11, 0, 'Primary', NULL, 'Primaire', NULL),
  (159944, 4, 11, 0, 'Secondary', NULL, 'Secondaire', NULL),
  (162169, 3, 7, 0, 'Text of encounter note', NULL, 'Texte de la note', NULL),
  (5096, 6, 7, 0, 'Return visit date', 'RVD', 'Date du prochain rendez-vous', NULL),
  (116128, 4, 4, 0, 'Malaria', NULL, 'Paludisme', 1),
  (114100, 4, 4, 0, 'Pneumonia', NULL, 'Pneumonie', 2),
  (117399, 4, 4, 0, 'Hypertension', NULL, 'Hypertension', 3),
  (119481, 4, 4, 0, 'Diabetes mellitus', NULL, 'Diabète sucré', 4),
  (112141, 4, 4, 0, 'Tuberculosis', NULL, 'Tuberculose', 5),
  (138405, 4, 4, 0, 'Human immunodeficiency virus (HIV) disease', 'HIV', 'Infection par le VIH', 6),
  (121629, 4, 4, 0, 'Anaemia', NULL, 'Anémie', 7),
  (121375, 4, 4, 0, 'Asthma', NULL, 'Asthme', 8),
  (111633, 4, 4, 0, 'Urinary tract infection', 'UTI', 'Infection urinaire', 9),
  (143264, 4, 4, 0, 'Cough', NULL, 'Toux', 10),
  (140238, 4, 4, 0, 'Fever', NULL, 'Fièvre', 11),
  (139084, 4, 4, 0, 'Headache', NULL, 'Céphalée', 12);

INSERT INTO concept (concept_id, datatype_id, class_id, is_set, creator, date_created, version,
	changed_by, date_changed, uuid)
SELECT concept_id, datatype_id, class_id, is_set, 1, '2004-08-12', '', 1, '2016-08-10 15:39:55',
       RPAD(concept_id, 36, 'A')
FROM gen_concept;

INSERT INTO concept_name (concept_id, name, locale, locale_preferred, creator, date_created,
	concept_name_type, uuid)
SELECT concept_id, en, 'en', 1, 1, '2004-08-12', 'FULLY_SPECIFIED', UUID() FROM gen_concept
UNION ALL
SELECT concept_id, en_short, 'en', 0, 1, '2004-08-12', 'SHORT', UUID() FROM gen_concept
WHERE en_short IS NOT NULL
UNION ALL
SELECT concept_id, fr, 'fr', 1, 1, '2004-08-12', 'FULLY_SPECIFIED', UUID() FROM gen_concept;

INSERT INTO location (location_id, name, description, city_village, state_province, country,
	creator, date_created, parent_location, uuid, changed_by, date_changed) VALUES
  (1, 'Unknown Location', NULL, NULL, NULL, NULL, 1, '2005-09-22', NULL, '8d6c993e-c2cc-11de-8d13-0010c6dffd0f', NULL, NULL),
  (2, 'Amani Hospital', 'District hospital', 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:48:37', NULL, UUID(), NULL, NULL),
  (3, 'Outpatient Clinic', NULL, 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:48:37', 2, UUID(), 2, '2017-05-02 15:38:29'),
  (4, 'Inpatient Ward', NULL, 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:48:37', 2, UUID(), NULL, NULL),
  (5, 'Laboratory', NULL, 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:48:51', 2, UUID(), NULL, NULL),
  (6, 'Pharmacy', NULL, 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:48:51', 2, UUID(), NULL, NULL),
  (7, 'Maternity Ward', NULL, 'Kisumu', 'Kisumu', 'Kenya', 2, '2013-08-02 01:49:02', 2, UUID(), NULL, NULL),
  (8, 'Rural Health Post', 'Satellite clinic', 'Maseno', 'Kisumu', 'Kenya', 2, '2014-03-11 09:12:00', NULL, UUID(), NULL, NULL),
  (9, 'Outreach Post', 'Monthly outreach', 'Maseno', 'Kisumu', 'Kenya', 2, '2015-06-01 08:00:00', 2, UUID(), NULL, NULL);

INSERT INTO encounter_type (encounter_type_id, name, description, creator, date_created, uuid) VALUES
  (1, 'Check In', 'The patient checked in to begin a visit', 2, '2013-08-02 07:13:23', 'ca3aed11-1aa4-42a1-b85c-8332fc8001fc'),
  (2, 'Vitals', 'For capturing vital signs', 2, '2013-08-12 14:08:05', '67a71486-1a54-468f-ac3e-7091a9a79584'),
  (3, 'Discharge', 'Inpatient care is ending', 2, '2013-08-01 20:27:50', '181820aa-88c9-479b-9077-af92f5364329'),
  (4, 'Admission', 'Admitted for inpatient care', 2, '2013-08-01 20:27:27', 'e22e39fd-7db2-45e7-80f1-60fa0d5a4378'),
  (5, 'Visit Note', 'An examination leading to a diagnosis', 2, '2013-08-02 07:16:06', 'd7151f82-c1f3-4152-a605-2f9ea7414a79');

INSERT INTO visit_type (visit_type_id, name, description, creator, date_created, uuid) VALUES
  (1, 'Facility Visit', 'Patient visits the clinic/hospital', 2, '2013-08-02 02:39:43', '7b0f5697-27e3-40c4-8bae-f4049abfb4ed');

INSERT INTO patient_identifier_type (patient_identifier_type_id, name, description, check_digit,
	creator, date_created, required, uuid) VALUES
  (1, 'OpenMRS Identification Number', 'Unique number used in OpenMRS', 1, 1, '2005-09-22', 0, '8d793bee-c2cc-11de-8d13-0010c6dffd0f'),
  (2, 'Old Identification Number', 'Number given out prior to the OpenMRS system', 0, 1, '2005-09-22', 0, '8d79403a-c2cc-11de-8d13-0010c6dffd0f'),
  (3, 'OpenMRS ID', 'OpenMRS patient identifier, with check-digit', 0, 2, '2017-05-02 15:38:03', 1, '05a29f94-c0ed-11e2-94be-8c13b969e334');

-- people --------------------------------------------------------------------

-- person 1 is the system administrator, as in every OpenMRS database
INSERT INTO person (person_id, gender, birthdate, creator, date_created, uuid)
VALUES (1, 'M', NULL, 1, '2005-01-01', UUID());
INSERT INTO person_name (preferred, person_id, given_name, family_name, creator, date_created, uuid)
VALUES (1, 1, 'Super', 'User', 1, '2005-01-01', UUID());

-- patient n is person n + 1; registered before the first visit
INSERT INTO person (person_id, gender, birthdate, birthdate_estimated, dead, death_date, creator,
	date_created, changed_by, date_changed, uuid)
SELECT s.seq + 1,
       IF(CRC32(CONCAT('sex', s.seq)) % 100 < 52, 'F', 'M'),
       DATE(@base) - INTERVAL (CRC32(CONCAT('age', s.seq)) % 80 * 365 + CRC32(CONCAT('doy', s.seq)) % 365 + 30) DAY,
       CRC32(CONCAT('est', s.seq)) % 10 = 0,
       CRC32(CONCAT('dead', s.seq)) % 50 = 0,
       IF(CRC32(CONCAT('dead', s.seq)) % 50 = 0, @base - INTERVAL CRC32(CONCAT('dd', s.seq)) % 30 DAY, NULL),
       1, @base - INTERVAL 1200 DAY + INTERVAL s.seq * 3600 DIV @patients MINUTE,
       IF(CRC32(CONCAT('pch', s.seq)) % 20 = 0, 1, NULL),
       IF(CRC32(CONCAT('pch', s.seq)) % 20 = 0, @base - INTERVAL CRC32(CONCAT('pcd', s.seq)) % 300 DAY, NULL),
       UUID()
FROM seq_1_to_10000000 s WHERE s.seq <= @patients;

INSERT INTO patient (patient_id, creator, date_created, changed_by, date_changed, allergy_status)
SELECT person_id, 1, date_created, changed_by, date_changed, 'Unknown' FROM person WHERE person_id > 1;

-- the current name; about 3% were renamed once (their old name is voided)
INSERT INTO person_name (preferred, person_id, given_name, middle_name, family_name, creator,
	date_created, uuid)
SELECT 1, p.person_id,
       IF(p.gender = 'F',
          ELT(1 + CRC32(CONCAT('gn', p.person_id)) % 16, 'Amina', 'Grace', 'Fatuma', 'Mary', 'Akinyi',
              'Wanjiku', 'Esther', 'Halima', 'Joyce', 'Nafula', 'Achieng', 'Mercy', 'Zawadi',
              'Beatrice', 'Naliaka', 'Rehema'),
          ELT(1 + CRC32(CONCAT('gn', p.person_id)) % 16, 'Joseph', 'Peter', 'John', 'Daniel', 'Otieno',
              'Kamau', 'Baraka', 'Hassan', 'Samuel', 'Wekesa', 'Kiprono', 'David', 'Juma',
              'Moses', 'Ochieng', 'Tumaini')),
       IF(CRC32(CONCAT('mn', p.person_id)) % 3 = 0,
          ELT(1 + CRC32(CONCAT('mn2', p.person_id)) % 6, 'Wairimu', 'Atieno', 'Chebet', 'Njeri', 'Auma', 'Moraa'),
          NULL),
       ELT(1 + CRC32(CONCAT('fn', p.person_id)) % 20, 'Otieno', 'Mwangi', 'Achieng', 'Kamau', 'Wanjiru',
           'Njoroge', 'Odhiambo', 'Kiptoo', 'Mutua', 'Wafula', 'Onyango', 'Chepkoech', 'Mohamed',
           'Kariuki', 'Omondi', 'Barasa', 'Cheruiyot', 'Nyambura', 'Owino', 'Kibet'),
       1, p.date_created + INTERVAL IF(CRC32(CONCAT('ren', p.person_id)) % 33 = 0, 400, 0) DAY, UUID()
FROM person p WHERE p.person_id > 1;

INSERT INTO person_name (preferred, person_id, given_name, family_name, creator, date_created,
	voided, voided_by, date_voided, void_reason, uuid)
SELECT 0, pn.person_id, pn.given_name, 'Oduya', 1, pn.date_created - INTERVAL 400 DAY,
       1, 1, pn.date_created, 'Name changed', UUID()
FROM person_name pn WHERE pn.person_id > 1 AND CRC32(CONCAT('ren', pn.person_id)) % 33 = 0;

-- an OpenMRS ID for everybody, an old number for some
INSERT INTO patient_identifier (patient_id, identifier, identifier_type, preferred, location_id,
	creator, date_created, uuid)
SELECT patient_id, CONCAT(1000 + patient_id, SUBSTR('ACDEFGHJKLMNPRTUVWXY', 1 + patient_id % 20, 1)),
       3, 1, 3, 1, date_created, UUID()
FROM patient;
INSERT INTO patient_identifier (patient_id, identifier, identifier_type, preferred, location_id,
	creator, date_created, uuid)
SELECT patient_id, CONCAT('OLD-', LPAD(CRC32(CONCAT('old', patient_id)) % 1000000, 6, '0')),
       2, 0, 3, 1, date_created, UUID()
FROM patient WHERE CRC32(CONCAT('oldid', patient_id)) % 10 = 0;

-- visits and encounters -----------------------------------------------------

-- visit k of n for patient p; ids are dense in (patient, k) order
CREATE TEMPORARY TABLE gen_visit (
  visit_id int PRIMARY KEY, patient_id int, k int, n int, started datetime, location_id int
);
INSERT INTO gen_visit
SELECT ROW_NUMBER() OVER (ORDER BY p.patient_id, k.seq), p.patient_id, k.seq,
       1 + CRC32(CONCAT('nv', p.patient_id)) % 11, NULL, NULL
FROM patient p JOIN seq_1_to_11 k ON k.seq <= 1 + CRC32(CONCAT('nv', p.patient_id)) % 11;
UPDATE gen_visit
SET started = @base - INTERVAL ((n - k + 1) * 90 + CRC32(CONCAT('vd', patient_id, '-', k)) % 60) DAY
              + INTERVAL (7 * 60 + CRC32(CONCAT('vt', patient_id, '-', k)) % 540) MINUTE,
    location_id = ELT(1 + CRC32(CONCAT('vl', patient_id, '-', k)) % 10, 3, 3, 3, 3, 3, 4, 7, 8, 8, 3);
-- one visit in a hundred at the outreach post (from the clinic's share)
UPDATE gen_visit SET location_id = 9
WHERE location_id = 3 AND CRC32(CONCAT('vl', patient_id, '-', k)) % 100 = 99;

INSERT INTO visit (visit_id, patient_id, visit_type_id, date_started, date_stopped, location_id,
	creator, date_created, changed_by, date_changed, uuid)
SELECT visit_id, patient_id, 1, started, started + INTERVAL 3 HOUR, location_id, 1, started,
       1, started + INTERVAL 3 HOUR, UUID()
FROM gen_visit;

-- encounter id = 4 * visit + type slot (1 check in, 2 vitals, 3 visit note);
-- about 1% are voided, 5% were edited later
INSERT INTO encounter (encounter_id, encounter_type, patient_id, location_id, encounter_datetime,
	creator, date_created, voided, voided_by, date_voided, void_reason, changed_by, date_changed,
	visit_id, uuid)
SELECT v.visit_id * 4 + t.seq, ELT(t.seq, 1, 2, 5), v.patient_id, v.location_id,
       v.started + INTERVAL t.seq * 20 MINUTE, 1, v.started + INTERVAL t.seq * 20 + 5 MINUTE,
       CRC32(CONCAT('ev', v.visit_id, '-', t.seq)) % 100 = 0,
       IF(CRC32(CONCAT('ev', v.visit_id, '-', t.seq)) % 100 = 0, 1, NULL),
       IF(CRC32(CONCAT('ev', v.visit_id, '-', t.seq)) % 100 = 0, v.started + INTERVAL 1 DAY, NULL),
       IF(CRC32(CONCAT('ev', v.visit_id, '-', t.seq)) % 100 = 0, 'Entered in error', NULL),
       IF(CRC32(CONCAT('ec', v.visit_id, '-', t.seq)) % 20 = 0, 1, NULL),
       IF(CRC32(CONCAT('ec', v.visit_id, '-', t.seq)) % 20 = 0, v.started + INTERVAL 2 DAY, NULL),
       v.visit_id, UUID()
FROM gen_visit v JOIN seq_1_to_3 t
WHERE t.seq = 1
   OR (t.seq = 2 AND CRC32(CONCAT('hv', v.visit_id)) % 10 < 9)
   OR (t.seq = 3 AND CRC32(CONCAT('hn', v.visit_id)) % 10 < 8);

-- observations --------------------------------------------------------------

-- obs id = 16 * encounter + slot. Vitals: slots 1-8 (weight always, the
-- others mostly), slot 15 the corrected weight when slot 1 was voided.
-- Visit Note: slot 9 the diagnosis group, 10-12 its members (the diagnosis,
-- coded or, for one in ten, as free text; its certainty; its order), 13 the
-- note, 14 the return visit date.
CREATE TEMPORARY TABLE gen_slot (slot int PRIMARY KEY, concept_id int, keep_pct int);
INSERT INTO gen_slot VALUES (1, 5089, 100), (2, 5090, 60), (3, 5088, 95), (4, 5085, 95),
  (5, 5086, 95), (6, 5087, 90), (7, 5242, 70), (8, 5092, 70),
  (9, 159947, 100), (10, 1284, 100), (11, 159394, 100), (12, 159946, 100), (13, 162169, 85),
  (14, 5096, 50);

INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	obs_group_id, value_coded, value_datetime, value_numeric, value_text, creator, date_created,
	voided, voided_by, date_voided, void_reason, uuid)
SELECT e.encounter_id * 16 + s.slot, e.patient_id,
       IF(s.slot = 10 AND CRC32(CONCAT('nc', e.encounter_id)) % 10 = 0, 161602, s.concept_id),
       e.encounter_id,
       e.encounter_datetime, e.location_id,
       IF(s.slot BETWEEN 10 AND 12, e.encounter_id * 16 + 9, NULL),
       CASE s.slot
         WHEN 10 THEN IF(CRC32(CONCAT('nc', e.encounter_id)) % 10 = 0, NULL,
                         (SELECT concept_id FROM gen_concept
                          WHERE diag_slot = 1 + CRC32(CONCAT('dx', e.encounter_id)) % @diagnoses))
         WHEN 11 THEN IF(CRC32(CONCAT('cert', e.encounter_id)) % 3 = 0, 159393, 159392)
         WHEN 12 THEN 159943
       END,
       IF(s.slot = 14, DATE(e.encounter_datetime) + INTERVAL 28 + CRC32(CONCAT('rv', e.encounter_id)) % 14 DAY, NULL),
       CASE s.slot
         WHEN 1 THEN ROUND(45 + CRC32(CONCAT('bw', e.patient_id)) % 50
                           + CRC32(CONCAT('w', e.encounter_id)) % 60 / 10 - 3, 1)
         WHEN 2 THEN 150 + CRC32(CONCAT('bh', e.patient_id)) % 40
         WHEN 3 THEN ROUND(36 + CRC32(CONCAT('t', e.encounter_id)) % 35 / 10, 1)
         WHEN 4 THEN 100 + CRC32(CONCAT('sb', e.encounter_id)) % 70
         WHEN 5 THEN 60 + CRC32(CONCAT('db', e.encounter_id)) % 40
         WHEN 6 THEN 55 + CRC32(CONCAT('pu', e.encounter_id)) % 55
         WHEN 7 THEN 12 + CRC32(CONCAT('rr', e.encounter_id)) % 13
         WHEN 8 THEN 90 + CRC32(CONCAT('o2', e.encounter_id)) % 11
       END,
       CASE WHEN s.slot = 10 AND CRC32(CONCAT('nc', e.encounter_id)) % 10 = 0
            THEN ELT(1 + CRC32(CONCAT('nd', e.encounter_id)) % 4, 'Suspected dengue',
                     'Snake bite', 'Dog bite', 'Scabies')
            WHEN s.slot = 13 THEN CONCAT(ELT(1 + CRC32(CONCAT('nt', e.encounter_id)) % 6,
                                  'Patient reports ', 'Complains of ', 'Follow-up: ',
                                  'Seen today for ', 'Review of ', 'Presented with '),
                              ELT(1 + CRC32(CONCAT('nu', e.encounter_id)) % 6,
                                  'cough for two weeks.', 'fever and chills.',
                                  'headache since yesterday.', 'poor appetite.',
                                  'routine check, no complaints.', 'abdominal pain.')) END,
       1, e.date_created,
       e.voided OR (s.slot = 1 AND CRC32(CONCAT('wv', e.encounter_id)) % 50 = 0),
       IF(e.voided OR (s.slot = 1 AND CRC32(CONCAT('wv', e.encounter_id)) % 50 = 0), 1, NULL),
       CASE WHEN e.voided THEN e.date_voided
            WHEN s.slot = 1 AND CRC32(CONCAT('wv', e.encounter_id)) % 50 = 0
            THEN e.date_created + INTERVAL 10 MINUTE END,
       CASE WHEN e.voided THEN e.void_reason
            WHEN s.slot = 1 AND CRC32(CONCAT('wv', e.encounter_id)) % 50 = 0 THEN 'Edited' END,
       UUID()
FROM encounter e
JOIN gen_slot s ON (e.encounter_type = 2 AND s.slot BETWEEN 1 AND 8)
                OR (e.encounter_type = 5 AND s.slot BETWEEN 9 AND 14)
WHERE CRC32(CONCAT('keep', e.encounter_id, '-', s.slot)) % 100 < s.keep_pct;

-- the corrected weights (an edit in OpenMRS voids the obs and saves a new one)
INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	value_numeric, creator, date_created, uuid, previous_version)
SELECT o.encounter_id * 16 + 15, o.person_id, o.concept_id, o.encounter_id, o.obs_datetime,
       o.location_id, o.value_numeric + 1, 1, o.date_voided, UUID(), o.obs_id
FROM obs o
JOIN encounter e ON e.encounter_id = o.encounter_id AND e.voided = 0
WHERE o.concept_id = 5089 AND o.voided = 1;

DROP TEMPORARY TABLE gen_concept, gen_visit, gen_slot;
SET foreign_key_checks = @saved_fk_checks;

SELECT (SELECT COUNT(*) FROM patient) AS patients, (SELECT COUNT(*) FROM visit) AS visits,
       (SELECT COUNT(*) FROM encounter) AS encounters, (SELECT COUNT(*) FROM obs) AS obs;
