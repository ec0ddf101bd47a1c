-- patient_summary_totals: the patients whose count of encounters in the
-- summary is not the count of their rows in encounters. Each row returned is
-- a failing row of the check (${this} is the summary being checked).
SELECT s.patient_id, s.encounters, COUNT(e.encounter_id) AS counted
FROM ${this} s
LEFT JOIN encounters e ON e.patient_id = s.patient_id
GROUP BY s.patient_id, s.encounters
HAVING s.encounters <> COUNT(e.encounter_id)
