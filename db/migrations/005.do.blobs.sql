-- Encrypted attachments (protocol SPEC §14, THREATS A1..A4). The service stores each file
-- as opaque sealed chunks; it knows the uploader, the conversation, the padded chunk count
-- and, once the uploader says so, the client message id the file was sent with (so that a
-- blob no message names can be collected). Never the name, type, size, key or hash.
-- Keyed by conversation like the log (db/distributed-schema.test.ts), so a blob and its
-- chunks live on their conversation's shard.
CREATE TABLE blobs (
  conversation_id  text NOT NULL REFERENCES conversations (id),
  -- Chosen by the client (a lowercase UUID, bound with the conversation in every chunk's
  -- AAD), so a file can be sealed offline; a retried create is harmless.
  blob_id          uuid NOT NULL,
  owner_id         bigint NOT NULL REFERENCES users (id),
  -- Padded chunk count (SPEC ATT3), fixed at creation: no chunk past it is stored (A3).
  chunks           integer NOT NULL CHECK (chunks >= 1),
  -- Padded bytes reserved against the owner's quota at creation.
  reserved_bytes   bigint NOT NULL CHECK (reserved_bytes >= 0),
  -- The client message id of the message that carries the file, given at finish.
  message_id       text,
  completed_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, blob_id)
);
-- Quota sums walk a user's blobs; collection walks the oldest.
CREATE INDEX blobs_owner ON blobs (owner_id);
CREATE INDEX blobs_created ON blobs (created_at);

-- One sealed chunk per row, append-only: a chunk once stored is never rewritten (a resent
-- chunk is a no-op). Rows leave only with their blob, when it is collected.
CREATE TABLE blob_chunks (
  conversation_id  text NOT NULL,
  blob_id          uuid NOT NULL,
  idx              integer NOT NULL CHECK (idx >= 0),
  bytes            bytea NOT NULL,
  PRIMARY KEY (conversation_id, blob_id, idx),
  FOREIGN KEY (conversation_id, blob_id) REFERENCES blobs (conversation_id, blob_id) ON DELETE CASCADE
);
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL; -- sealed bytes do not compress

CREATE TRIGGER blob_chunks_no_update BEFORE UPDATE ON blob_chunks
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
