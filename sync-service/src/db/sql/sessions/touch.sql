-- last_seen_at is refreshed at most once a minute (the caller decides), not on every request.
UPDATE sessions SET last_seen_at = now() WHERE id = ${id}
