SELECT bytes FROM blob_chunks WHERE conversation_id = ${conversationId} AND blob_id = ${blobId} AND idx = ${index}
