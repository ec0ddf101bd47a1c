-- the shape of the patients table in PostgreSQL (chacc adds _chacc_changed_at);
-- the columns of sql/openmrs/tables/patients.sql, in PostgreSQL's types
CREATE TABLE ${this} (
  patient_id integer NOT NULL PRIMARY KEY,
  identifier varchar(50) NULL,
  identifier_type varchar(50) NULL,
  given_name varchar(50) NULL,
  middle_name varchar(50) NULL,
  family_name varchar(50) NULL,
  gender varchar(50) NULL,
  birthdate date NULL,
  birthdate_estimated smallint NOT NULL DEFAULT 0,
  dead smallint NOT NULL DEFAULT 0,
  death_date timestamp NULL,
  date_created timestamp NOT NULL,
  changed_at timestamp NOT NULL,
  voided smallint NOT NULL DEFAULT 0
)
