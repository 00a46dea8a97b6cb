-- One page of the caller's conversations (THREATS L3: never all of them in one answer), in
-- byte order of their ids (COLLATE "C", as JavaScript sorts them), after `after` (null: from
-- the first), at most `limit`; each with its members' user ids and when its latest entry was
-- stored (ms; one primary-key lookup: a restore lists the most recent first, issue 18).
SELECT c.id AS "conversationId", c.last_seq AS "latestSeq", c.latest_epoch AS "latestEpoch",
       floor(extract(epoch FROM COALESCE((SELECT e.created_at FROM log_entries e WHERE e.conversation_id = c.id AND e.seq = c.last_seq), c.created_at)) * 1000)::float8 AS "latestAt",
       (SELECT array_agg(u.user_id ORDER BY u.user_id) FROM conversation_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.conversation_id = c.id) AS members
FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.user_id = ${userPk}
  AND (${after}::text IS NULL OR (m.conversation_id COLLATE "C") > ${after}::text)
ORDER BY (m.conversation_id COLLATE "C")
LIMIT ${limit}
