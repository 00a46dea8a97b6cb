-- Why a challenge could not be consumed; one of another user or purpose is not found.
SELECT (used_at IS NOT NULL) AS used, (expires_at <= now()) AS expired FROM account_challenges
WHERE id = ${id} AND user_id = ${userPk} AND purpose = ${purpose}
