-- The caller's conversations and their last seq, in id order (sync walks them in this order).
SELECT c.id AS "conversationId", c.last_seq AS "lastSeq"
FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.user_id = ${userPk}
ORDER BY c.id
