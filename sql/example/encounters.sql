SELECT encounter_id, patient_id, location, encounter_type, encounter_datetime, voided,
       GREATEST(date_created, COALESCE(date_changed, date_created),
                COALESCE(date_voided, date_created)) AS changed_at
FROM encounter
