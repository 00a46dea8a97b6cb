-- A blob by its client-chosen id, with what is stored of it.
SELECT b.id AS pk, b.blob_id AS "blobId", b.owner_id AS "ownerPk", b.conversation_id AS "conversationId",
  b.chunks, b.message_id AS "messageId", b.completed_at AS "completedAt", b.created_at AS "createdAt",
  (SELECT count(*) FROM blob_chunks c WHERE c.blob_pk = b.id)::integer AS "storedCount"
FROM blobs b WHERE b.blob_id = ${blobId}
