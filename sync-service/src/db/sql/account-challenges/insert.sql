INSERT INTO account_challenges (id, user_id, purpose, nonce, expires_at)
VALUES (${id}, ${userPk}, ${purpose}, ${nonce}, now() + make_interval(secs => ${ttlSeconds}))
RETURNING expires_at AS "expiresAt"
