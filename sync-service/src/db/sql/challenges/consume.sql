-- Single use (THREATS T1): only one caller can ever flip used_at, and only in time.
UPDATE login_challenges SET used_at = now()
WHERE id = ${id} AND used_at IS NULL AND expires_at > now()
RETURNING user_id AS "userPk", nonce, origin
