-- Whether a session is a certified, unrevoked device of the user under the key with this
-- fingerprint (its current key): the device the session logged in as (DEV12), or whose
-- certificate it published.
SELECT 1 AS ok FROM sessions s
WHERE s.id = ${sessionId} AND s.user_id = ${userPk}
  AND EXISTS (
    SELECT 1 FROM device_certificates c
    WHERE c.user_id = s.user_id AND c.account_fingerprint = ${fingerprint}
      AND (c.device_id = s.device_id OR c.session_id = s.id)
      AND NOT EXISTS (SELECT 1 FROM device_revocations r WHERE r.user_id = c.user_id AND r.device_id = c.device_id)
  )
