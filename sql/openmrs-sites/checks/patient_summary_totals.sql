-- patient_summary_totals: the patients (of a site) whose count of encounters
-- in the summary is not the count of their rows in encounters, that site's
-- only. Each row returned is a failing row of the check (${this} is the
-- summary being checked).
SELECT s.site, s.patient_id, s.encounters, COUNT(e.encounter_id) AS counted
FROM ${this} s
LEFT JOIN encounters e ON e.site = s.site AND e.patient_id = s.patient_id
GROUP BY s.site, s.patient_id, s.encounters
HAVING s.encounters <> COUNT(e.encounter_id)
