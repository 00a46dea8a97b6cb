-- Every device revocation of a user, oldest first.
SELECT revocation FROM device_revocations WHERE user_id = ${userPk} ORDER BY created_at, device_id
