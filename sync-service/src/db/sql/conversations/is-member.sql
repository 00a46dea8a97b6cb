SELECT c.last_seq AS "lastSeq" FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
WHERE m.conversation_id = ${id} AND m.user_id = ${userPk}
