-- MessageHub initial schema. The service stores only public keys, signed records
-- and ciphertext envelopes; nothing here lets it read or forge a message.

CREATE TABLE users (
  id            bigserial PRIMARY KEY,
  -- The protocol's userId: the user name folded to lower case, unique without regard to case.
  user_id       text NOT NULL UNIQUE CHECK (user_id = lower(user_id)),
  display_name  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Append-only key history: a reset adds a version, nothing is overwritten (THREATS M2).
CREATE TABLE user_keys (
  user_id          bigint NOT NULL REFERENCES users (id),
  version          integer NOT NULL CHECK (version >= 1),
  public_identity  jsonb NOT NULL,
  proof            text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, version)
);

-- Single-use login nonces, bound to user and origin, short-lived (THREATS T1).
CREATE TABLE login_challenges (
  id          uuid PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  nonce       text NOT NULL,
  origin      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX login_challenges_expires_at ON login_challenges (expires_at);

-- Device sessions: the bearer token is stored only as its SHA-256.
CREATE TABLE sessions (
  id            uuid PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id),
  token_hash    bytea NOT NULL UNIQUE,
  device_name   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
  id            uuid PRIMARY KEY,
  created_by    bigint NOT NULL REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The last sequence number handed out; appends lock this row, so numbers are
  -- gap-free and assigned in commit order.
  last_seq      bigint NOT NULL DEFAULT 0,
  latest_epoch  integer NOT NULL DEFAULT 0
);

-- Members of the latest epoch record, as the server reads them, for access checks
-- only; clients verify membership from the signed epoch records themselves.
CREATE TABLE conversation_members (
  conversation_id  uuid NOT NULL REFERENCES conversations (id),
  user_id          bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id);

-- The append-only log of a conversation: signed epoch records and message envelopes.
CREATE TABLE log_entries (
  conversation_id  uuid NOT NULL REFERENCES conversations (id),
  seq              bigint NOT NULL CHECK (seq >= 1),
  kind             text NOT NULL CHECK (kind IN ('epoch', 'message')),
  -- clientMessageId for messages, 'epoch:<n>' for epoch records: retries are idempotent.
  client_id        text NOT NULL,
  sender_id        bigint NOT NULL REFERENCES users (id),
  body             jsonb NOT NULL,
  body_sha256      bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, client_id)
);

CREATE FUNCTION reject_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER user_keys_append_only BEFORE UPDATE OR DELETE ON user_keys
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
