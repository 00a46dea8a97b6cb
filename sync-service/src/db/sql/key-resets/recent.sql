SELECT count(*)::int AS count FROM key_resets WHERE user_id = ${userPk} AND requested_at > now() - interval '1 day'
