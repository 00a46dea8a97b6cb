-- A device certificate (DEV2), idempotent: the row as stored is returned either way.
INSERT INTO device_certificates (user_id, device_id, account_fingerprint, certificate, session_id)
VALUES (${userPk}, ${deviceId}, ${accountFingerprint}, ${certificate}, ${sessionId})
ON CONFLICT (user_id, device_id, account_fingerprint) DO NOTHING;
SELECT certificate FROM device_certificates
WHERE user_id = ${userPk} AND device_id = ${deviceId} AND account_fingerprint = ${accountFingerprint}
