INSERT INTO sessions (id, user_id, token_hash, device_name, expires_at, device_id)
VALUES (${id}, ${userPk}, ${tokenHash}, ${deviceName}, now() + make_interval(secs => ${ttlSeconds}), ${deviceId})
RETURNING id, expires_at AS "expiresAt"
