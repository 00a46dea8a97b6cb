-- Store a sealed chunk once; a resent chunk changes nothing (append-only).
INSERT INTO blob_chunks (blob_pk, idx, bytes) VALUES (${blobPk}, ${index}, ${bytes})
ON CONFLICT (blob_pk, idx) DO NOTHING
RETURNING idx
