-- Block a user; blocking again keeps the first time. Returns when the block began and
-- whether this call made it.
WITH ins AS (
  INSERT INTO blocks (blocker_id, blocked_id) VALUES (${blockerPk}, ${blockedPk})
  ON CONFLICT DO NOTHING
  RETURNING created_at
)
SELECT created_at AS "createdAt", true AS created FROM ins
UNION ALL
SELECT b.created_at, false FROM blocks b
WHERE b.blocker_id = ${blockerPk} AND b.blocked_id = ${blockedPk} AND NOT EXISTS (SELECT 1 FROM ins)
