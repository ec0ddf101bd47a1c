-- the shape of the observations table (chacc adds _chacc_changed_at)
CREATE TABLE ${this} (
  obs_id INT NOT NULL PRIMARY KEY,
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
  voided TINYINT(1) NOT NULL DEFAULT 0
)
