-- the shape of the observations table of a group of sites: the site's name first,
-- then the columns of sql/openmrs/tables/observations.sql; the key is (site, id)
-- (chacc adds _chacc_changed_at)
CREATE TABLE ${this} (
  site VARCHAR(64) NOT NULL,
  obs_id INT NOT NULL,
  person_id INT NOT NULL,
  encounter_id INT NULL,
  obs_datetime DATETIME NOT NULL,
  location_id INT NULL,
  obs_group_id INT NULL,
  concept_id INT NOT NULL,
  concept_uuid CHAR(38) CHARACTER SET ascii NULL,
  concept_name VARCHAR(255) NULL,
  concept_datatype VARCHAR(255) NULL,
  value_numeric DOUBLE NULL,
  value_coded INT NULL,
  value_coded_name VARCHAR(255) NULL,
  value_text TEXT NULL,
  value_datetime DATETIME NULL,
  value_drug INT NULL,
  comments VARCHAR(255) NULL,
  date_created DATETIME NOT NULL,
  changed_at DATETIME NOT NULL,
  voided TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (site, obs_id)
)
