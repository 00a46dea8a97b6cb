INSERT INTO sessions (id, user_id, token_hash, device_name, expires_at)
VALUES (${id}, ${userPk}, ${tokenHash}, ${deviceName}, now() + make_interval(secs => ${ttlSeconds}))
RETURNING id, expires_at AS "expiresAt"
