-- the shape of the locations table of a group of sites: the site's name first,
-- then the columns of sql/openmrs/tables/locations.sql; the key is (site, id)
-- (chacc adds _chacc_changed_at)
CREATE TABLE ${this} (
  site VARCHAR(64) NOT NULL,
  location_id INT NOT NULL,
  name VARCHAR(255) NOT NULL,
  description VARCHAR(255) NULL,
  address1 VARCHAR(255) NULL,
  address2 VARCHAR(255) NULL,
  city_village VARCHAR(255) NULL,
  county_district VARCHAR(255) NULL,
  state_province VARCHAR(255) NULL,
  country VARCHAR(50) NULL,
  postal_code VARCHAR(50) NULL,
  latitude VARCHAR(50) NULL,
  longitude VARCHAR(50) NULL,
  parent_location_id INT NULL,
  parent_location_name VARCHAR(255) NULL,
  retired TINYINT(1) NOT NULL DEFAULT 0,
  date_created DATETIME NOT NULL,
  changed_at DATETIME NOT NULL,
  PRIMARY KEY (site, location_id)
)
