-- Single use, in time, for this user and this purpose only (ACCT1).
UPDATE account_challenges SET used_at = now()
WHERE id = ${id} AND user_id = ${userPk} AND purpose = ${purpose} AND used_at IS NULL AND expires_at > now()
RETURNING nonce
