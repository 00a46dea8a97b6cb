SELECT id, device_name AS "deviceName", device_id AS "deviceId", created_at AS "createdAt", last_seen_at AS "lastSeenAt", expires_at AS "expiresAt"
FROM sessions
WHERE user_id = ${userPk} AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at, id
