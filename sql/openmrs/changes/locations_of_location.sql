-- locations: a changed location is its own row and its children's (their parent's name)
SELECT location_id FROM location
WHERE location_id = ${row.location_id} OR parent_location = ${row.location_id}
