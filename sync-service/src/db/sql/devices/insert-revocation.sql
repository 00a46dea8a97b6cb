-- A device revocation (DEV8), final and idempotent: the revocation as stored is returned.
INSERT INTO device_revocations (user_id, device_id, revocation)
VALUES (${userPk}, ${deviceId}, ${revocation})
ON CONFLICT (user_id, device_id) DO NOTHING;
SELECT revocation FROM device_revocations WHERE user_id = ${userPk} AND device_id = ${deviceId}
