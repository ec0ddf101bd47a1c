-- locations: one row per location (retired ones too: old encounters point at
-- them), with the name of its parent. changed_at is the newest change of the
-- location and of its parent (a renamed parent renames it here). OpenMRS
-- retires locations rather than deleting them, so there is no deleted column.
-- The rows changed since ${since} (watermark minus lookback; NULL in a full
-- build, and when the table was empty: then all rows are read).
SELECT q.* FROM (
  SELECT l.location_id,
         l.name,
         l.description,
         l.address1,
         l.address2,
         l.city_village,
         l.county_district,
         l.state_province,
         l.country,
         l.postal_code,
         l.latitude,
         l.longitude,
         l.parent_location AS parent_location_id,
         pl.name AS parent_location_name,
         l.retired,
         l.date_created,
         GREATEST(l.date_created,
                  COALESCE(l.date_changed, l.date_created),
                  COALESCE(l.date_retired, l.date_created),
                  COALESCE(pl.date_created, l.date_created),
                  COALESCE(pl.date_changed, l.date_created)) AS changed_at
  FROM location l
  LEFT JOIN location pl ON pl.location_id = l.parent_location
) AS q
WHERE ${since} IS NULL OR q.changed_at >= ${since}
