-- Mark a blob complete once every chunk is stored, and note the message that carries it.
-- The first completion's message id is kept.
UPDATE blobs b SET completed_at = coalesce(b.completed_at, now()), message_id = coalesce(b.message_id, ${messageId})
WHERE b.id = ${blobPk} AND (SELECT count(*) FROM blob_chunks c WHERE c.blob_pk = b.id) = b.chunks
RETURNING b.completed_at AS "completedAt", b.message_id AS "messageId"
