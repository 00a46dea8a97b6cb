-- A new user and key version 1, or nothing when the name is taken (case folded).
WITH u AS (
  INSERT INTO users (user_id, display_name) VALUES (${userId}, ${displayName})
  ON CONFLICT (user_id) DO NOTHING
  RETURNING id, user_id, display_name
), k AS (
  INSERT INTO user_keys (user_id, version, public_identity, proof)
  SELECT id, 1, ${identity}::jsonb, ${proof} FROM u
  RETURNING version
)
SELECT u.user_id AS "userId", u.display_name AS "displayName", k.version AS "keyVersion" FROM u, k
