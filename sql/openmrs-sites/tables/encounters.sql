-- the shape of the encounters table of a group of sites: the site's name first,
-- then the columns of sql/openmrs/tables/encounters.sql; the key is (site, id)
-- (chacc adds _chacc_changed_at)
CREATE TABLE ${this} (
  site VARCHAR(64) NOT NULL,
  encounter_id INT NOT NULL,
  patient_id INT NOT NULL,
  encounter_type_id INT NOT NULL,
  encounter_type VARCHAR(50) NULL,
  encounter_datetime DATETIME NOT NULL,
  location_id INT NULL,
  location_name VARCHAR(255) NULL,
  visit_id INT NULL,
  visit_type VARCHAR(255) NULL,
  visit_started DATETIME NULL,
  visit_stopped DATETIME NULL,
  form_id INT NULL,
  date_created DATETIME NOT NULL,
  changed_at DATETIME NOT NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (site, encounter_id)
)
