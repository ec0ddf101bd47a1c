-- observations_have_patients: the relationships check of the single-site
-- recipe, on (site, patient_id): each row returned is an observation whose
-- patient is not a patient of the same site (${this} is the table checked;
-- a patient of another site with the same id does not count).
SELECT o.site, o.obs_id, o.patient_id
FROM ${this} o
LEFT JOIN patients p ON p.site = o.site AND p.patient_id = o.patient_id
WHERE p.patient_id IS NULL
