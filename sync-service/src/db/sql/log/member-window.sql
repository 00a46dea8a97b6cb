-- One window of the caller's conversations and their last seq (THREATS L3): the ids in
-- (after, until], in byte order (COLLATE "C", as JavaScript sorts them), at most `limit`.
-- A null `after` starts at the first conversation; a null `until` has no upper bound.
SELECT c.id AS "conversationId", c.last_seq AS "lastSeq"
FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.user_id = ${userPk}
  AND (${after}::text IS NULL OR (m.conversation_id COLLATE "C") > ${after}::text)
  AND (${until}::text IS NULL OR (m.conversation_id COLLATE "C") <= ${until}::text)
ORDER BY (m.conversation_id COLLATE "C")
LIMIT ${limit}
