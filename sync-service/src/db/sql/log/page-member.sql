-- Realtime: entries after a cursor, only while the user is still a member of the latest epoch.
SELECT seq, kind, body::text AS body, created_at AS "createdAt"
FROM log_entries
WHERE conversation_id = ${conversationId} AND seq > ${after}
  AND EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = ${conversationId} AND m.user_id = ${userPk})
ORDER BY seq
LIMIT ${limit}
