-- Key reset: append version n+1 (never overwrite). The user row is locked so two
-- resets at once get consecutive versions.
WITH u AS (SELECT id FROM users WHERE id = ${id} FOR UPDATE),
     v AS (SELECT coalesce(max(version), 0) + 1 AS version FROM user_keys WHERE user_id = ${id})
INSERT INTO user_keys (user_id, version, public_identity, proof)
SELECT u.id, v.version, ${identity}::jsonb, ${proof} FROM u, v
RETURNING version, public_identity AS identity, proof, created_at AS "createdAt"
