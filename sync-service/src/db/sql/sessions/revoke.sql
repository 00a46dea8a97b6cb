UPDATE sessions SET revoked_at = now()
WHERE id = ${id} AND user_id = ${userPk} AND revoked_at IS NULL AND expires_at > now()
RETURNING id
