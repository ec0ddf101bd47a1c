-- the shape of the encounters table in PostgreSQL (chacc adds _chacc_changed_at);
-- the columns of sql/openmrs/tables/encounters.sql, in PostgreSQL's types
CREATE TABLE ${this} (
  encounter_id integer NOT NULL PRIMARY KEY,
  patient_id integer NOT NULL,
  encounter_type_id integer NOT NULL,
  encounter_type varchar(50) NULL,
  encounter_datetime timestamp NOT NULL,
  location_id integer NULL,
  location_name varchar(255) NULL,
  visit_id integer NULL,
  visit_type varchar(255) NULL,
  visit_started timestamp NULL,
  visit_stopped timestamp NULL,
  form_id integer NULL,
  date_created timestamp NOT NULL,
  changed_at timestamp NOT NULL,
  voided smallint NOT NULL DEFAULT 0
)
