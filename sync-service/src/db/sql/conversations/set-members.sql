-- Rewrite the access list from the latest epoch record's members.
WITH gone AS (
  DELETE FROM conversation_members WHERE conversation_id = ${id} AND NOT (user_id = ANY(${userPks}::bigint[]))
)
INSERT INTO conversation_members (conversation_id, user_id)
SELECT ${id}, unnest(${userPks}::bigint[])
ON CONFLICT DO NOTHING
RETURNING user_id AS "userPk"
