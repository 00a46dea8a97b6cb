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
  PRIMARY KEY (user_id, conversation_id, epoch, epoch_hash, recipient_key)
);
