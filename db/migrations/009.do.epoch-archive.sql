-- The epoch key archive (protocol HIST1..HIST5, issue 12): after "I lost a device" the
-- account's epochs made before the rotation are wrapped only to its OLD key, which no key
-- file holds any more. The device that rotated re-wraps each of them to the account's NEW
-- key and signs the entry with it; a device restored from the new key file fetches them.
-- Owned by the user: only that user reads or writes its rows (the routes check), and only
-- from a certified device's session. Clients verify every entry (signature by their own
-- key, the epoch it opens), so the service can drop entries (history then unreadable, said
-- plainly) but not forge them. A repeat of the same step replaces the entry (idempotent:
-- RSA-OAEP is randomised, so the bytes differ; both open the same epoch).
CREATE TABLE epoch_archive (
  user_id          bigint NOT NULL REFERENCES users (id),
  conversation_id  text NOT NULL,
  epoch            integer NOT NULL,
  epoch_hash       text NOT NULL,
  recipient_key    text NOT NULL,
  entry            jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- Led by the conversation, like every conversation-keyed table, so the log can still be
  -- sharded by conversation id (db/distributed-schema.test.ts); the one read, a restore's
  -- list by user, is rare and may touch every shard.
  PRIMARY KEY (conversation_id, user_id, epoch, epoch_hash, recipient_key)
);
CREATE INDEX epoch_archive_by_user ON epoch_archive (user_id, recipient_key);
