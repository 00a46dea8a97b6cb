-- One page of a conversation's log; the body is returned as JSON text and spliced
-- into the response without being parsed again.
SELECT seq, kind, body::text AS body, created_at AS "createdAt"
FROM log_entries
WHERE conversation_id = ${conversationId} AND seq > ${after} AND seq <= ${upTo}
ORDER BY seq
LIMIT ${limit}
