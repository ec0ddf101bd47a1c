-- the shape of the locations table in PostgreSQL (chacc adds _chacc_changed_at);
-- the columns of sql/openmrs/tables/locations.sql, in PostgreSQL's types
CREATE TABLE ${this} (
  location_id integer NOT NULL PRIMARY KEY,
  name varchar(255) NOT NULL,
  description varchar(255) NULL,
  address1 varchar(255) NULL,
  address2 varchar(255) NULL,
  city_village varchar(255) NULL,
  county_district varchar(255) NULL,
  state_province varchar(255) NULL,
  country varchar(50) NULL,
  postal_code varchar(50) NULL,
  latitude varchar(50) NULL,
  longitude varchar(50) NULL,
  parent_location_id integer NULL,
  parent_location_name varchar(255) NULL,
  retired smallint NOT NULL DEFAULT 0,
  date_created timestamp NOT NULL,
  changed_at timestamp NOT NULL
)
