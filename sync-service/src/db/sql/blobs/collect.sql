-- Collect blobs nobody references after the grace period: created before it and either
-- never completed, or completed for a message that its uploader never appended to the
-- blob's conversation. Their chunks go with them (ON DELETE CASCADE).
DELETE FROM blobs b
WHERE b.created_at < now() - make_interval(secs => ${graceSeconds})
  AND NOT EXISTS (
    SELECT 1 FROM log_entries e
    WHERE b.completed_at IS NOT NULL AND e.conversation_id = b.conversation_id
      AND e.client_id = b.message_id AND e.sender_id = b.owner_id AND e.kind = 'message'
  )
RETURNING b.blob_id AS "blobId"
