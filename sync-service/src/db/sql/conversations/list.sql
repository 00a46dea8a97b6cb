SELECT c.id AS "conversationId", c.last_seq AS "latestSeq", c.latest_epoch AS "latestEpoch",
       (SELECT array_agg(u.user_id ORDER BY u.user_id) FROM conversation_members cm JOIN users u ON u.id = cm.user_id
        WHERE cm.conversation_id = c.id) AS members
FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.user_id = ${userPk}
ORDER BY c.id
