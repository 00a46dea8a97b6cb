SELECT u.user_id AS "userId" FROM conversation_members m JOIN users u ON u.id = m.user_id WHERE m.conversation_id = ${id}
