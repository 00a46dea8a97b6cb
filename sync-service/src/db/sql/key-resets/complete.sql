-- Close the reset as completed, only by the session that asked, once due, while it can
-- still complete. The row lock makes a concurrent cancel and complete exclusive.
UPDATE key_resets r SET completed_at = now()
WHERE r.id = ${id} AND r.user_id = ${userPk} AND r.session_id = ${sessionId}
  AND r.cancelled_at IS NULL AND r.completed_at IS NULL AND r.completes_at <= now()
  AND EXISTS (SELECT 1 FROM pending_key_resets p WHERE p.id = r.id)
RETURNING r.base_version AS "baseVersion", r.public_identity AS identity, r.proof
