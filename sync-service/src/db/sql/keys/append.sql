-- Append version fromVersion + 1, only while fromVersion is the latest: a rotation signed
-- over version n can never land anywhere but n + 1. A concurrent append of the same
-- version loses (ON CONFLICT) and returns nothing, as does a stale fromVersion.
WITH cur AS (SELECT coalesce(max(version), 0) AS version FROM user_keys WHERE user_id = ${userPk})
INSERT INTO user_keys (user_id, version, public_identity, proof, kind, rotation_nonce, rotation_sig)
SELECT ${userPk}, cur.version + 1, ${identity}::jsonb, ${proof}, ${kind}, ${nonce}, ${signature} FROM cur
WHERE cur.version = ${fromVersion}
ON CONFLICT (user_id, version) DO NOTHING
RETURNING version, public_identity AS identity, proof, created_at AS "createdAt", kind,
  CASE WHEN kind = 'rotation' THEN json_build_object('nonce', rotation_nonce, 'signature', rotation_sig) END AS rotation
