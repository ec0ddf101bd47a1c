-- the shape of the observations table in PostgreSQL (chacc adds _chacc_changed_at);
-- the columns of sql/openmrs/tables/observations.sql, in PostgreSQL's types
-- (a concept's uuid is varchar: char(38) would pad it with blanks)
CREATE TABLE ${this} (
  obs_id integer NOT NULL PRIMARY KEY,
  person_id integer NOT NULL,
  encounter_id integer NULL,
  obs_datetime timestamp NOT NULL,
  location_id integer NULL,
  obs_group_id integer NULL,
  concept_id integer NOT NULL,
  concept_uuid varchar(38) NULL,
  concept_name varchar(255) NULL,
  concept_datatype varchar(255) NULL,
  value_numeric double precision NULL,
  value_coded integer NULL,
  value_coded_name varchar(255) NULL,
  value_text text NULL,
  value_datetime timestamp NULL,
  value_drug integer NULL,
  comments varchar(255) NULL,
  date_created timestamp NOT NULL,
  changed_at timestamp NOT NULL,
  voided smallint NOT NULL DEFAULT 0
)
