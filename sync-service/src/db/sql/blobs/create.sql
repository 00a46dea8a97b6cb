-- Create an upload, reserving its padded bytes against the owner's quota (THREATS A3). The
-- owner's row is locked so two creates cannot both pass the quota. A retry with the same
-- conversation, id, owner and count answers the stored blob ('existing'); any other use of
-- the id is 'conflict'; a create past the quota is 'quota' and stores nothing.
WITH owner AS (
  SELECT id FROM users WHERE id = ${ownerPk} FOR UPDATE
), prior AS (
  SELECT b.owner_id, b.chunks FROM blobs b WHERE b.conversation_id = ${conversationId} AND b.blob_id = ${blobId}
), used AS (
  SELECT coalesce(sum(b.reserved_bytes), 0) AS bytes FROM blobs b, owner o WHERE b.owner_id = o.id
), inserted AS (
  INSERT INTO blobs (conversation_id, blob_id, owner_id, chunks, reserved_bytes)
  SELECT ${conversationId}, ${blobId}, o.id, ${chunks}, ${reservedBytes} FROM owner o, used u
  WHERE NOT EXISTS (SELECT 1 FROM prior) AND u.bytes + ${reservedBytes} <= ${quotaBytes}
  ON CONFLICT (conversation_id, blob_id) DO NOTHING
  RETURNING blob_id
)
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM inserted) THEN 'created'
    WHEN EXISTS (SELECT 1 FROM prior p WHERE p.owner_id = ${ownerPk} AND p.chunks = ${chunks}) THEN 'existing'
    WHEN EXISTS (SELECT 1 FROM prior) THEN 'conflict'
    ELSE 'quota'
  END AS outcome,
  (SELECT bytes FROM used) AS "usedBytes"
