-- A completed key reset ends every session of the user.
UPDATE sessions SET revoked_at = now()
WHERE user_id = ${userPk} AND revoked_at IS NULL
RETURNING id
