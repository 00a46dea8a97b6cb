-- A new reset, unless one is open (the partial unique index) or the keys moved past
-- base_version meanwhile. Open resets that can no longer complete (their session was
-- revoked or expired, or the keys changed) are closed first by key-resets-close-stale.
INSERT INTO key_resets (id, user_id, session_id, base_version, public_identity, proof, completes_at)
SELECT ${id}, ${userPk}, ${sessionId}, ${baseVersion}, ${identity}::jsonb, ${proof}, now() + make_interval(secs => ${waitSeconds})
ON CONFLICT DO NOTHING
RETURNING id, requested_at AS "requestedAt", completes_at AS "completesAt"
