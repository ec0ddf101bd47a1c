SELECT patient_id, given_name, family_name, gender, birthdate, voided,
       GREATEST(date_created, COALESCE(date_changed, date_created),
                COALESCE(date_voided, date_created)) AS changed_at
FROM patient
