-- Every device certificate of a user, oldest first.
SELECT certificate FROM device_certificates WHERE user_id = ${userPk} ORDER BY created_at, device_id
