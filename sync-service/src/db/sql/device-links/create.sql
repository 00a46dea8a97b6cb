-- A new slot (LINK5), unless a live one holds the locator; nothing returned then (pick another).
INSERT INTO device_links (locator, token_hash, public_key, expires_at)
VALUES (${locator}, ${tokenHash}, ${publicKey}, now() + make_interval(secs => ${ttlSeconds}))
ON CONFLICT (locator) DO NOTHING
RETURNING expires_at AS "expiresAt"
