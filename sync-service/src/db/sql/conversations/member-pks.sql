-- The members of a conversation's latest epoch, as user keys (empty: no such conversation).
SELECT user_id AS "userPk" FROM conversation_members WHERE conversation_id = ${id}
