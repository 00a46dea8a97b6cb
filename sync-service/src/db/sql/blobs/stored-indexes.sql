-- The indexes of the chunks stored, in order (what a resumed upload still has to send).
SELECT idx FROM blob_chunks WHERE conversation_id = ${conversationId} AND blob_id = ${blobId} ORDER BY idx
