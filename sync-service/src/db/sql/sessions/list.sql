-- A user's live sessions; deviceId: the device the login named (DEV12), else the device whose
-- certificate the session published (a first login, before the device had its key).
SELECT s.id, s.device_name AS "deviceName",
       COALESCE(s.device_id, (SELECT c.device_id FROM device_certificates c WHERE c.session_id = s.id ORDER BY c.created_at LIMIT 1)) AS "deviceId",
       s.created_at AS "createdAt", s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt"
FROM sessions s
WHERE s.user_id = ${userPk} AND s.revoked_at IS NULL AND s.expires_at > now()
ORDER BY s.created_at, s.id
