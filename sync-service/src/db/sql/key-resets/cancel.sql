UPDATE key_resets SET cancelled_at = now()
WHERE id = ${id} AND user_id = ${userPk} AND cancelled_at IS NULL AND completed_at IS NULL
RETURNING id
