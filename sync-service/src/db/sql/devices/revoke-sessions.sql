-- End every live session that registered a certificate of this device; the ids ended.
UPDATE sessions SET revoked_at = now()
WHERE user_id = ${userPk} AND revoked_at IS NULL
  AND id IN (SELECT session_id FROM device_certificates WHERE user_id = ${userPk} AND device_id = ${deviceId} AND session_id IS NOT NULL)
RETURNING id
