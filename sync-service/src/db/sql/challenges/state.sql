SELECT (used_at IS NOT NULL) AS used, (expires_at <= now()) AS expired FROM login_challenges WHERE id = ${id}
