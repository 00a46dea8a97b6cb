-- The user's open reset that can still complete, with the asking device's name.
SELECT p.id, p.session_id AS "sessionId", s.device_name AS "deviceName", p.base_version AS "baseVersion",
       p.public_identity AS identity, p.proof, p.requested_at AS "requestedAt", p.completes_at AS "completesAt",
       (p.completes_at <= now()) AS due
FROM pending_key_resets p JOIN sessions s ON s.id = p.session_id
WHERE p.user_id = ${userPk}
