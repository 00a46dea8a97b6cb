-- A blob by its conversation and client-chosen id (one row, by the primary key: every chunk
-- request reads it), and whether `userPk` is a member of the conversation's latest epoch.
SELECT b.conversation_id AS "conversationId", b.blob_id AS "blobId", b.owner_id AS "ownerPk",
  b.chunks, b.message_id AS "messageId", b.completed_at AS "completedAt", b.created_at AS "createdAt",
  EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = b.conversation_id AND m.user_id = ${userPk}) AS "isMember"
FROM blobs b WHERE b.conversation_id = ${conversationId} AND b.blob_id = ${blobId}
