SELECT 1 FROM sessions WHERE id = ${id} AND revoked_at IS NULL AND expires_at > now()
