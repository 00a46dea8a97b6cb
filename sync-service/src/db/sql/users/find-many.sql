SELECT id, user_id AS "userId" FROM users WHERE user_id = ANY(${userIds}::text[])
