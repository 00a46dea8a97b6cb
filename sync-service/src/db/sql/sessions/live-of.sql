-- Realtime: which of these sessions are still live (one query per ping period for all sockets).
SELECT id FROM sessions WHERE id = ANY(${ids}::uuid[]) AND revoked_at IS NULL AND expires_at > now()
