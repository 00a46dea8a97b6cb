UPDATE key_resets r SET cancelled_at = now()
WHERE r.user_id = ${userPk} AND r.cancelled_at IS NULL AND r.completed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM pending_key_resets p WHERE p.id = r.id)
