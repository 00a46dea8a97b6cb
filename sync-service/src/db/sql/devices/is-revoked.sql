-- Is this device of this user revoked?
SELECT 1 AS revoked FROM device_revocations WHERE user_id = ${userPk} AND device_id = ${deviceId}
