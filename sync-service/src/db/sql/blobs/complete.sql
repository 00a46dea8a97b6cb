-- Mark a blob complete once every chunk is stored, and note the message that carries it.
-- The first completion's message id is kept.
UPDATE blobs b SET completed_at = coalesce(b.completed_at, now()), message_id = coalesce(b.message_id, ${messageId})
WHERE b.conversation_id = ${conversationId} AND b.blob_id = ${blobId}
  AND (SELECT count(*) FROM blob_chunks c WHERE c.conversation_id = b.conversation_id AND c.blob_id = b.blob_id) = b.chunks
RETURNING b.completed_at AS "completedAt", b.message_id AS "messageId"
