-- Store a sealed chunk once; a resent chunk changes nothing (append-only).
INSERT INTO blob_chunks (conversation_id, blob_id, idx, bytes) VALUES (${conversationId}, ${blobId}, ${index}, ${bytes})
ON CONFLICT (conversation_id, blob_id, idx) DO NOTHING
RETURNING idx
