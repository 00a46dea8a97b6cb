-- End every live session of this device: those it opened naming it (DEV12, sessions.device_id)
-- and those that registered a certificate of it; the ids ended (DEV13).
UPDATE sessions SET revoked_at = now()
WHERE user_id = ${userPk} AND revoked_at IS NULL
  AND (device_id = ${deviceId}
    OR id IN (SELECT session_id FROM device_certificates WHERE user_id = ${userPk} AND device_id = ${deviceId} AND session_id IS NOT NULL))
RETURNING id
