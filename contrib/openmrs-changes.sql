-- openmrs-changes.sql: a day of changes in an OpenMRS database
--
--   SET @batch = 1;             -- which day: each batch picks other rows
--   SET @changed_at = NOW();    -- optional: the time to stamp the changes with
--   SET @visit_every = 20;      -- optional: one patient in this many gets a visit
--   SOURCE contrib/openmrs-changes.sql
--
-- Works on the generator's databases (contrib/openmrs-generate.sql) and on a
-- real OpenMRS 2.x database alike (the reference application's demo data):
-- it finds concepts by their CIEL uuids and encounter types by their
-- reference application uuids, uses only columns every 2.x schema has, and
-- inserts rows in an order that satisfies OpenMRS's foreign keys. Every
-- change is stamped now, as OpenMRS stamps a save, or at @changed_at when set
-- (the demo sets it an hour back, as if the changes were entered during the
-- day; they must still be newer than what the last build read). What it
-- does, as the OpenMRS API would:
--
--   - a new location, "Mobile Clinic N";
--   - a newly registered patient (person, name, patient, identifier);
--   - new visits for about 5% of the patients and the new one: a Vitals
--     encounter (weight, height, temperature, blood pressure, pulse) and a
--     Visit Note (a coded diagnosis group and a text note); the first visit
--     is at the new location;
--   - three vitals corrected: the obs voided, a new one saved (previous_version);
--   - an encounter voided with its obs;
--   - a patient renamed (the old name voided, a new preferred name);
--   - a birthdate corrected; a location renamed; an encounter moved to
--     another location (in place, as an edit does);
--   - every second batch, a diagnosis concept renamed (its English name
--     voided and replaced); every third batch, a patient voided (patient and
--     person only: the analytics tables must drop the patient's encounters and
--     observations themselves).
SET @batch = COALESCE(@batch, 1);
SET @now = COALESCE(@changed_at, NOW());

-- metadata, by uuid, with fallbacks for databases without them
SET @c_weight = (SELECT concept_id FROM concept WHERE uuid = '5089AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_height = (SELECT concept_id FROM concept WHERE uuid = '5090AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_temp = (SELECT concept_id FROM concept WHERE uuid = '5088AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_sbp = (SELECT concept_id FROM concept WHERE uuid = '5085AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_dbp = (SELECT concept_id FROM concept WHERE uuid = '5086AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_pulse = (SELECT concept_id FROM concept WHERE uuid = '5087AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_dxset = (SELECT concept_id FROM concept WHERE uuid = '159947AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_dx = (SELECT concept_id FROM concept WHERE uuid = '1284AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_cert = (SELECT concept_id FROM concept WHERE uuid = '159394AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_order = (SELECT concept_id FROM concept WHERE uuid = '159946AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @c_note = (SELECT concept_id FROM concept WHERE uuid = '162169AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @a_confirmed = (SELECT concept_id FROM concept WHERE uuid = '159392AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @a_primary = (SELECT concept_id FROM concept WHERE uuid = '159943AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SET @et_vitals = COALESCE(
  (SELECT encounter_type_id FROM encounter_type WHERE uuid = '67a71486-1a54-468f-ac3e-7091a9a79584'),
  (SELECT MIN(encounter_type_id) FROM encounter_type));
SET @et_note = COALESCE(
  (SELECT encounter_type_id FROM encounter_type WHERE uuid = 'd7151f82-c1f3-4152-a605-2f9ea7414a79'),
  @et_vitals);
SET @visit_type = (SELECT MIN(visit_type_id) FROM visit_type WHERE retired = 0);
SET @id_type = COALESCE(
  (SELECT identifier_type FROM patient_identifier
   GROUP BY identifier_type ORDER BY COUNT(*) DESC, identifier_type LIMIT 1),
  (SELECT MIN(patient_identifier_type_id) FROM patient_identifier_type WHERE retired = 0));
SET @clinic = COALESCE(
  (SELECT location_id FROM encounter WHERE location_id IS NOT NULL
   GROUP BY location_id ORDER BY COUNT(*) DESC, location_id LIMIT 1),
  (SELECT MIN(location_id) FROM location WHERE retired = 0));

-- a new location under the clinic's parent
SET @new_location = (SELECT MAX(location_id) + 1 FROM location);
INSERT INTO location (location_id, name, description, city_village, country, creator,
	date_created, parent_location, uuid)
SELECT @new_location, CONCAT('Mobile Clinic ', @batch), 'Outreach team', l.city_village,
       l.country, 1, @now, l.parent_location, UUID()
FROM location l WHERE l.location_id = @clinic;

-- a new patient
SET @new_person = (SELECT MAX(person_id) + 1 FROM person);
INSERT INTO person (person_id, gender, birthdate, birthdate_estimated, dead, creator,
	date_created, voided, uuid, deathdate_estimated)
VALUES (@new_person, IF(@batch % 2, 'F', 'M'), DATE(@now) - INTERVAL (20 + @batch) YEAR, 0, 0, 1,
	@now, 0, UUID(), 0);
INSERT INTO person_name (preferred, person_id, given_name, family_name, creator, date_created,
	voided, uuid)
VALUES (1, @new_person, IF(@batch % 2, 'Neema', 'Baraka'), CONCAT('Newcomer', @batch), 1, @now, 0,
	UUID());
INSERT INTO patient (patient_id, creator, date_created, voided)
VALUES (@new_person, 1, @now, 0);
INSERT INTO patient_identifier (patient_id, identifier, identifier_type, preferred, location_id,
	creator, date_created, voided, uuid)
VALUES (@new_person, CONCAT('NEW', @batch, '-', @new_person), @id_type, 1, @clinic, 1, @now, 0,
	UUID());

-- new visits: about 5% of the patients (one in @visit_every), and the new one
SET @visit0 = (SELECT COALESCE(MAX(visit_id), 0) FROM visit);
SET @encounter0 = (SELECT COALESCE(MAX(encounter_id), 0) FROM encounter);
DROP TEMPORARY TABLE IF EXISTS chg_visit;
CREATE TEMPORARY TABLE chg_visit (n INT PRIMARY KEY, patient_id INT, location_id INT,
	started DATETIME);
INSERT INTO chg_visit
SELECT ROW_NUMBER() OVER (ORDER BY p.patient_id), p.patient_id, NULL, NULL
FROM patient p JOIN person ps ON ps.person_id = p.patient_id
WHERE p.voided = 0 AND ps.voided = 0
  AND ((p.patient_id * 7 + @batch * 13) % COALESCE(@visit_every, 20) = 0
       OR p.patient_id = @new_person);
UPDATE chg_visit
SET location_id = IF(n = 1, @new_location, @clinic),
    started = @now - INTERVAL 3 HOUR + INTERVAL n MINUTE;

INSERT INTO visit (visit_id, patient_id, visit_type_id, date_started, location_id, creator,
	date_created, voided, uuid)
SELECT @visit0 + n, patient_id, @visit_type, started, location_id, 1, @now, 0, UUID()
FROM chg_visit;

-- encounter 2n - 1 of the batch is the visit's Vitals, 2n its Visit Note
INSERT INTO encounter (encounter_id, encounter_type, patient_id, location_id, encounter_datetime,
	creator, date_created, voided, visit_id, uuid)
SELECT @encounter0 + 2 * v.n - 2 + t.seq, IF(t.seq = 1, @et_vitals, @et_note), v.patient_id,
       v.location_id, v.started + INTERVAL t.seq * 10 MINUTE, 1, @now, 0, @visit0 + v.n, UUID()
FROM chg_visit v JOIN seq_1_to_2 t;

SET @obs0 = (SELECT COALESCE(MAX(obs_id), 0) FROM obs);
-- vitals: slots 1-6 of 12 per visit
INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	value_numeric, creator, date_created, voided, uuid)
SELECT @obs0 + 12 * (v.n - 1) + s.seq, v.patient_id,
       ELT(s.seq, @c_weight, @c_height, @c_temp, @c_sbp, @c_dbp, @c_pulse),
       @encounter0 + 2 * v.n - 1, v.started + INTERVAL 10 MINUTE, v.location_id,
       ELT(s.seq, 50 + (v.patient_id * 7 + @batch) % 40 + 0.5, 150 + (v.patient_id * 3) % 40,
           36.5 + (v.patient_id + @batch) % 20 / 10, 110 + (v.patient_id + @batch) % 50,
           70 + (v.patient_id + @batch) % 25, 60 + (v.patient_id * 11 + @batch) % 40),
       1, @now, 0, UUID()
FROM chg_visit v JOIN seq_1_to_6 s
WHERE ELT(s.seq, @c_weight, @c_height, @c_temp, @c_sbp, @c_dbp, @c_pulse) IS NOT NULL;

-- the diagnosis group (slot 7), then its members (8-10), then the note (11)
DROP TEMPORARY TABLE IF EXISTS chg_dx;
CREATE TEMPORARY TABLE chg_dx (k INT PRIMARY KEY, concept_id INT);
INSERT INTO chg_dx
SELECT ROW_NUMBER() OVER (ORDER BY value_coded) - 1, value_coded
FROM (SELECT DISTINCT value_coded FROM obs
      WHERE concept_id = @c_dx AND value_coded IS NOT NULL AND voided = 0) d;
SET @dx_count = (SELECT COUNT(*) FROM chg_dx);

INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	creator, date_created, voided, uuid)
SELECT @obs0 + 12 * (v.n - 1) + 7, v.patient_id, @c_dxset, @encounter0 + 2 * v.n,
       v.started + INTERVAL 20 MINUTE, v.location_id, 1, @now, 0, UUID()
FROM chg_visit v WHERE @c_dxset IS NOT NULL AND @dx_count > 0;

INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	obs_group_id, value_coded, creator, date_created, voided, uuid)
SELECT @obs0 + 12 * (v.n - 1) + 7 + s.seq, v.patient_id, ELT(s.seq, @c_dx, @c_cert, @c_order),
       @encounter0 + 2 * v.n, v.started + INTERVAL 20 MINUTE, v.location_id,
       @obs0 + 12 * (v.n - 1) + 7,
       ELT(s.seq, d.concept_id, @a_confirmed, @a_primary), 1, @now, 0, UUID()
FROM chg_visit v JOIN seq_1_to_3 s
JOIN chg_dx d ON d.k = (v.patient_id + @batch) % GREATEST(@dx_count, 1)
WHERE @c_dxset IS NOT NULL AND ELT(s.seq, @c_dx, @c_cert, @c_order) IS NOT NULL;

INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	value_text, creator, date_created, voided, uuid)
SELECT @obs0 + 12 * (v.n - 1) + 11, v.patient_id, @c_note, @encounter0 + 2 * v.n,
       v.started + INTERVAL 20 MINUTE, v.location_id,
       CONCAT('Day ', @batch, ': ', ELT(1 + (v.patient_id + @batch) % 4, 'better since last visit.',
              'new complaint of cough.', 'review of results.', 'no change.')),
       1, @now, 0, UUID()
FROM chg_visit v WHERE @c_note IS NOT NULL;

-- three weights corrected: voided, and saved again with a new value
SET @obs1 = (SELECT COALESCE(MAX(obs_id), 0) FROM obs);
DROP TEMPORARY TABLE IF EXISTS chg_fix;
CREATE TEMPORARY TABLE chg_fix (n INT PRIMARY KEY, obs_id INT);
INSERT INTO chg_fix
SELECT ROW_NUMBER() OVER (ORDER BY (o.obs_id * 31 + @batch * 17) % 997, o.obs_id), o.obs_id
FROM obs o
JOIN encounter e ON e.encounter_id = o.encounter_id AND e.voided = 0
JOIN patient p ON p.patient_id = o.person_id AND p.voided = 0
WHERE o.concept_id = @c_weight AND o.voided = 0 AND o.date_created < @now
ORDER BY (o.obs_id * 31 + @batch * 17) % 997, o.obs_id
LIMIT 3;
UPDATE obs o JOIN chg_fix f ON f.obs_id = o.obs_id
SET o.voided = 1, o.voided_by = 1, o.date_voided = @now, o.void_reason = 'Edited';
INSERT INTO obs (obs_id, person_id, concept_id, encounter_id, obs_datetime, location_id,
	value_numeric, creator, date_created, voided, uuid, previous_version)
SELECT @obs1 + f.n, o.person_id, o.concept_id, o.encounter_id, o.obs_datetime, o.location_id,
       o.value_numeric + 0.5, 1, @now, 0, UUID(), o.obs_id
FROM chg_fix f JOIN obs o ON o.obs_id = f.obs_id;

-- an encounter entered in error: voided with its obs
SET @void_encounter = (
  SELECT e.encounter_id FROM encounter e JOIN patient p ON p.patient_id = e.patient_id
  WHERE e.voided = 0 AND p.voided = 0 AND e.date_created < @now
  ORDER BY (e.encounter_id * 37 + @batch * 101) % 1009, e.encounter_id LIMIT 1);
UPDATE encounter SET voided = 1, voided_by = 1, date_voided = @now,
	void_reason = 'Entered in error'
WHERE encounter_id = @void_encounter;
UPDATE obs SET voided = 1, voided_by = 1, date_voided = @now, void_reason = 'Entered in error'
WHERE encounter_id = @void_encounter AND voided = 0;

-- a patient renamed: the old name voided, a new preferred one
SET @renamed = (
  SELECT p.patient_id FROM patient p JOIN person_name n ON n.person_id = p.patient_id
  WHERE p.voided = 0 AND n.voided = 0 AND p.patient_id <> @new_person
  ORDER BY (p.patient_id * 41 + @batch * 7) % 101, p.patient_id LIMIT 1);
INSERT INTO person_name (preferred, person_id, given_name, middle_name, family_name, creator,
	date_created, voided, uuid)
SELECT 1, person_id, given_name, middle_name, CONCAT(family_name, '-Odhiambo'), 1, @now, 0, UUID()
FROM person_name
WHERE person_id = @renamed AND voided = 0
ORDER BY preferred DESC, person_name_id LIMIT 1;
SET @new_name = (SELECT MAX(person_name_id) FROM person_name WHERE person_id = @renamed);
UPDATE person_name SET voided = 1, voided_by = 1, date_voided = @now,
	void_reason = 'Name changed', preferred = 0
WHERE person_id = @renamed AND voided = 0 AND person_name_id <> @new_name;

-- a birthdate corrected
SET @corrected = (
  SELECT patient_id FROM patient WHERE voided = 0 AND patient_id <> @new_person
  ORDER BY (patient_id * 43 + @batch * 3) % 103, patient_id LIMIT 1);
UPDATE person SET birthdate = birthdate - INTERVAL 1 YEAR, changed_by = 1, date_changed = @now
WHERE person_id = @corrected;

-- a location renamed: the least busy one that has encounters (a rename flows
-- into every row that names the location)
SET @renamed_location = (
  SELECT e.location_id FROM encounter e
  JOIN location l ON l.location_id = e.location_id AND l.retired = 0
  WHERE e.location_id NOT IN (@clinic, @new_location)
  GROUP BY e.location_id ORDER BY COUNT(*), e.location_id LIMIT 1);
UPDATE location SET name = CONCAT('Ward ', @batch), changed_by = 1, date_changed = @now
WHERE location_id = @renamed_location;

-- an encounter moved to another location, in place
SET @moved = (
  SELECT e.encounter_id FROM encounter e JOIN patient p ON p.patient_id = e.patient_id
  WHERE e.voided = 0 AND p.voided = 0 AND e.date_created < @now
    AND e.location_id <> @new_location
  ORDER BY (e.encounter_id * 53 + @batch * 11) % 1013, e.encounter_id LIMIT 1);
UPDATE encounter SET location_id = @new_location, changed_by = 1, date_changed = @now
WHERE encounter_id = @moved;

-- every second batch: a diagnosis renamed
SET @renamed_concept = IF(@batch % 2 = 0,
  (SELECT concept_id FROM chg_dx WHERE k = @batch % GREATEST(@dx_count, 1)), NULL);
INSERT INTO concept_name (concept_id, name, locale, locale_preferred, creator, date_created,
	concept_name_type, voided, uuid)
SELECT concept_id, CONCAT(name, ' (rev ', @batch, ')'), 'en', 1, 1, @now, 'FULLY_SPECIFIED', 0,
       UUID()
FROM concept_name
WHERE concept_id = @renamed_concept AND locale = 'en' AND voided = 0
ORDER BY locale_preferred DESC, concept_name_type = 'FULLY_SPECIFIED' DESC, concept_name_id
LIMIT 1;
SET @new_concept_name = (SELECT MAX(concept_name_id) FROM concept_name
                         WHERE concept_id = @renamed_concept);
UPDATE concept_name SET voided = 1, voided_by = 1, date_voided = @now, void_reason = 'Renamed',
	locale_preferred = 0
WHERE concept_id = @renamed_concept AND locale = 'en' AND voided = 0
  AND concept_name_type = 'FULLY_SPECIFIED' AND concept_name_id <> @new_concept_name;
UPDATE concept SET changed_by = 1, date_changed = @now WHERE concept_id = @renamed_concept;

-- every third batch: a patient voided (the patient and the person only)
SET @voided_patient = IF(@batch % 3 = 0, (
  SELECT patient_id FROM patient WHERE voided = 0 AND patient_id <> @new_person
  ORDER BY (patient_id * 47 + @batch * 5) % 107, patient_id LIMIT 1), NULL);
UPDATE patient SET voided = 1, voided_by = 1, date_voided = @now, void_reason = 'Duplicate'
WHERE patient_id = @voided_patient;
UPDATE person SET voided = 1, voided_by = 1, date_voided = @now, void_reason = 'Duplicate'
WHERE person_id = @voided_patient;

DROP TEMPORARY TABLE chg_visit, chg_dx, chg_fix;
