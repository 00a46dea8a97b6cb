-- Realtime fan-out: entries after a cursor, read once per instance and conversation,
-- with which of the given (locally connected) users are still members of the latest
-- epoch, from the same snapshot. Always at least one row: `members` alone when no
-- entry follows the cursor.
WITH m AS (
  SELECT coalesce(array_agg(user_id), '{}') AS members FROM conversation_members
  WHERE conversation_id = ${conversationId} AND user_id = ANY(${userPks}::bigint[])
), e AS (
  SELECT seq, kind, body::text AS body, created_at FROM log_entries
  WHERE conversation_id = ${conversationId} AND seq > ${after}
  ORDER BY seq
  LIMIT ${limit}
)
SELECT m.members, e.seq, e.kind, e.body, e.created_at AS "createdAt"
FROM m LEFT JOIN e ON true
ORDER BY e.seq
