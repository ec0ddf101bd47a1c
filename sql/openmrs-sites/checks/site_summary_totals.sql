-- site_summary_totals: one row when the rows site_summary counts, over all
-- sites, are not the rows of patients, encounters and observations, or when
-- a site holding rows has no row in it (${this} is the summary checked).
SELECT t.*
FROM (SELECT (SELECT COALESCE(SUM(patients), 0) FROM ${this}) AS patients_summarised,
             (SELECT COUNT(*) FROM patients) AS patients_counted,
             (SELECT COALESCE(SUM(encounters), 0) FROM ${this}) AS encounters_summarised,
             (SELECT COUNT(*) FROM encounters) AS encounters_counted,
             (SELECT COALESCE(SUM(observations), 0) FROM ${this}) AS obs_summarised,
             (SELECT COUNT(*) FROM observations) AS obs_counted,
             (SELECT COUNT(*) FROM ${this}) AS sites_summarised,
             (SELECT COUNT(*) FROM (SELECT site FROM patients UNION SELECT site FROM encounters
                                    UNION SELECT site FROM observations) s) AS sites_counted) AS t
WHERE t.patients_summarised <> t.patients_counted
   OR t.encounters_summarised <> t.encounters_counted
   OR t.obs_summarised <> t.obs_counted
   OR t.sites_summarised <> t.sites_counted
