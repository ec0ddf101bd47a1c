-- site_summary: one row per site of the group: how many patients, encounters
-- and observations the warehouse holds from it, and its newest encounter
-- (what "is every facility reporting?" asks first).
--
-- Incremental: `changed` holds the sites whose patients, encounters or
-- observations changed since ${since}, or lost rows (etl_deletes: a voided
-- row, or every row of a site that left the group); their counts are taken
-- again. This table's key, (site), is part of the key of every table it
-- reads, so chacc removes the row of a site that lost rows before this query
-- puts it back: a site without any row left (it left the group) has none.
-- In a full build ${since} is NULL and `changed` holds every site (read
-- from the keys' first column, not from every row).
WITH changed AS (
  SELECT site FROM (SELECT DISTINCT site FROM patients) s WHERE ${since} IS NULL
  UNION
  SELECT site FROM (SELECT DISTINCT site FROM encounters) s WHERE ${since} IS NULL
  UNION
  SELECT site FROM (SELECT DISTINCT site FROM observations) s WHERE ${since} IS NULL
  UNION
  SELECT site FROM patients WHERE _chacc_changed_at > ${since}
  UNION
  SELECT site FROM encounters WHERE _chacc_changed_at > ${since}
  UNION
  SELECT site FROM observations WHERE _chacc_changed_at > ${since}
  UNION
  SELECT CAST(JSON_VALUE(key_json, '$.site') AS CHAR(64)) FROM etl_deletes
  WHERE target IN ('patients', 'encounters', 'observations') AND deleted_at > ${since}
),
counted AS (
  SELECT p.site, COUNT(*) AS patients, 0 AS encounters, 0 AS observations,
         CAST(NULL AS DATETIME) AS last_encounter_at
  FROM changed k JOIN patients p ON p.site = k.site
  GROUP BY p.site
  UNION ALL
  SELECT e.site, 0, COUNT(*), 0, MAX(e.encounter_datetime)
  FROM changed k JOIN encounters e ON e.site = k.site
  GROUP BY e.site
  UNION ALL
  SELECT o.site, 0, 0, COUNT(*), CAST(NULL AS DATETIME)
  FROM changed k JOIN observations o ON o.site = k.site
  GROUP BY o.site
)
SELECT site,
       CAST(SUM(patients) AS SIGNED) AS patients,
       CAST(SUM(encounters) AS SIGNED) AS encounters,
       CAST(SUM(observations) AS SIGNED) AS observations,
       MAX(last_encounter_at) AS last_encounter_at
FROM counted
GROUP BY site
