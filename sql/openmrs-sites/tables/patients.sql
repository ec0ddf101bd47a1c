-- the shape of the patients table of a group of sites: the site's name first,
-- then the columns of sql/openmrs/tables/patients.sql; the key is (site, id)
-- (chacc adds _chacc_changed_at)
CREATE TABLE ${this} (
  site VARCHAR(64) NOT NULL,
  patient_id INT NOT NULL,
  identifier VARCHAR(50) NULL,
  identifier_type VARCHAR(50) NULL,
  given_name VARCHAR(50) NULL,
  middle_name VARCHAR(50) NULL,
  family_name VARCHAR(50) NULL,
  gender VARCHAR(50) NULL,
  birthdate DATE NULL,
  birthdate_estimated TINYINT(1) NOT NULL DEFAULT 0,
  dead TINYINT(1) NOT NULL DEFAULT 0,
  death_date DATETIME NULL,
  date_created DATETIME NOT NULL,
  changed_at DATETIME NOT NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (site, patient_id)
)
