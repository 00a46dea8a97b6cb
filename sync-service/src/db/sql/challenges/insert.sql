INSERT INTO login_challenges (id, user_id, nonce, origin, expires_at)
VALUES (${id}, ${userPk}, ${nonce}, ${origin}, now() + make_interval(secs => ${ttlSeconds}))
RETURNING expires_at AS "expiresAt"
