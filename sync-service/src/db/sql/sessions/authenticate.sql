-- The session of a bearer token, if it is neither expired nor revoked.
SELECT s.id AS "sessionId", s.user_id AS "userPk", u.user_id AS "userId",
       (s.last_seen_at < now() - interval '60 seconds') AS stale, s.expires_at AS "expiresAt"
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = ${tokenHash} AND s.revoked_at IS NULL AND s.expires_at > now()
