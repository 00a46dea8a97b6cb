-- Store a sealed chunk once; a resent chunk changes nothing (append-only).
-- Positional parameters: the repository sends this as a parameterized query, so the
-- chunk goes to Postgres as a binary parameter, not as hex text inside the SQL.
INSERT INTO blob_chunks (conversation_id, blob_id, idx, bytes) VALUES ($1, $2, $3, $4)
ON CONFLICT (conversation_id, blob_id, idx) DO NOTHING
RETURNING idx
