-- MessageHub schema. The service stores only public keys, signed records and ciphertext
-- envelopes; nothing here lets it read or forge a message.
--
-- Migrations are forward-only from this one on (001 is the squash of the pre-release
-- 001 and 002): a change is a new numbered file, never an edit of an applied one.
--
--   accounts        users, user_keys (append-only key history)
--   login           login_challenges, sessions, rate_limits
--   conversations   conversations, conversation_members, log_entries (append-only)
--   appends         append_messages(), append_epoch(): the only writers of log_entries,
--                   and notify_log_append() / notify_member_added(), their NOTIFYs
--
-- The repositories call the append functions from sync-service/src/db/sql/log/
-- (append-messages.sql, append-epoch.sql); every other statement lives there too.

------------------------------------------------------------------------------------------------
-- Accounts

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

------------------------------------------------------------------------------------------------
-- Login

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
CREATE INDEX sessions_token_active ON sessions (token_hash) WHERE revoked_at IS NULL;

-- Fixed-window counters (login, challenge, registration): stateless instances share them.
CREATE TABLE rate_limits (
  key           text NOT NULL,
  window_start  timestamptz NOT NULL,
  count         integer NOT NULL,
  PRIMARY KEY (key, window_start)
);

------------------------------------------------------------------------------------------------
-- Conversations and their logs

CREATE TABLE conversations (
  -- The protocol's identifiers (WIRE3), not only UUIDs.
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:@-]{1,128}$'),
  created_by    bigint NOT NULL REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- The last sequence number handed out; appends lock this row, so numbers are
  -- gap-free and assigned in commit order.
  last_seq      bigint NOT NULL DEFAULT 0,
  latest_epoch  integer NOT NULL DEFAULT 0
);

-- Members of the latest epoch record, as the server reads them, for access checks
-- only; rewritten when an epoch is appended. Clients verify the signed records.
CREATE TABLE conversation_members (
  conversation_id  text NOT NULL REFERENCES conversations (id),
  user_id          bigint NOT NULL REFERENCES users (id),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id, conversation_id);

-- The append-only log of a conversation: signed epoch records and message envelopes.
CREATE TABLE log_entries (
  conversation_id  text NOT NULL REFERENCES conversations (id),
  seq              bigint NOT NULL CHECK (seq >= 1),
  kind             text NOT NULL CHECK (kind IN ('epoch', 'message')),
  -- clientMessageId for messages, 'epoch:<n>' for epoch records: retries are idempotent.
  client_id        text NOT NULL,
  sender_id        bigint NOT NULL REFERENCES users (id),
  epoch            integer NOT NULL,
  body             jsonb NOT NULL,
  -- SHA-256 of the canonical JSON of the body: a retry with other content is a conflict.
  body_sha256      bytea NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, seq),
  UNIQUE (conversation_id, client_id)
);

------------------------------------------------------------------------------------------------
-- Append-only tables: no UPDATE, DELETE or TRUNCATE (TRUNCATE skips row triggers).

CREATE FUNCTION reject_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
  FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER user_keys_append_only BEFORE UPDATE OR DELETE ON user_keys
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER user_keys_no_truncate BEFORE TRUNCATE ON user_keys
  FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

------------------------------------------------------------------------------------------------
-- Appends
--
-- Both kinds of entry are appended by a function, called in one statement from the
-- repository (sync-service/src/db/sql/log/append-*.sql), rather than by a TypeScript
-- transaction:
--  * the whole append is one round trip, so the conversation row is locked only for the
--    time Postgres needs, and many message appends can be group-committed in one call;
--  * each statement inside takes a fresh snapshot (READ COMMITTED, VOLATILE), so the
--    client-id check after the row lock sees every append that committed before it;
--  * both append the same way: lock the conversation row (id order), check, take
--    last_seq + 1, insert, NOTIFY through notify_log_append(). The lock is held to commit,
--    so seqs are gap-free and assigned in commit order.
--
-- NOTIFY is transactional (delivered at commit, never for a rolled-back append) and carries
-- ids only. One format for both (sync-service/src/services/notifier.ts reads it):
--   mh_log     "<conversationId> <lastSeq>"   entries exist up to lastSeq
--   mh_member  "<conversationId> <userId>"    userId was added to the conversation

CREATE FUNCTION notify_log_append(p_conv text, p_last_seq bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_notify('mh_log', p_conv || ' ' || p_last_seq);
END;
$$;

-- PERFORM runs the query to its end: one notification per added user.
CREATE FUNCTION notify_member_added(p_conv text, p_user_pks bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_notify('mh_member', p_conv || ' ' || u.user_id) FROM users u WHERE u.id = ANY(p_user_pks);
END;
$$;

-- Append message envelopes, possibly for several conversations, in one call (and so in one
-- transaction and one commit). For each conversation, in id order (no deadlocks between
-- concurrent callers): lock its row, then for each item in request order check membership
-- and epoch, return the stored seq for a known client id (or a conflict), else take the
-- next seq. One NOTIFY per conversation.
CREATE FUNCTION append_messages(
  p_conv text[], p_client text[], p_sender bigint[], p_epoch integer[], p_body text[], p_hash bytea[]
) RETURNS TABLE (idx integer, status text, seq bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_conv   text;
  v_last   bigint;
  v_start  bigint;
  v_latest integer;
  v_seq    bigint;
  v_hash   bytea;
  i        integer;
  v_n      integer := coalesce(array_length(p_conv, 1), 0);
BEGIN
  FOR v_conv IN SELECT DISTINCT c FROM unnest(p_conv) AS c ORDER BY c LOOP
    SELECT last_seq, latest_epoch INTO v_last, v_latest FROM conversations WHERE id = v_conv FOR UPDATE;
    IF NOT FOUND THEN
      FOR i IN 1 .. v_n LOOP
        IF p_conv[i] = v_conv THEN idx := i; status := 'not_found'; seq := NULL; RETURN NEXT; END IF;
      END LOOP;
      CONTINUE;
    END IF;
    v_start := v_last;
    FOR i IN 1 .. v_n LOOP
      CONTINUE WHEN p_conv[i] <> v_conv;
      idx := i;
      IF NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = v_conv AND m.user_id = p_sender[i]) THEN
        status := 'not_found'; seq := NULL;
      ELSIF p_epoch[i] > v_latest THEN
        status := 'unknown_epoch'; seq := NULL;
      ELSE
        SELECT e.seq, e.body_sha256 INTO v_seq, v_hash FROM log_entries e
          WHERE e.conversation_id = v_conv AND e.client_id = p_client[i];
        IF FOUND THEN
          seq := v_seq;
          status := CASE WHEN v_hash = p_hash[i] THEN 'duplicate' ELSE 'client_id_conflict' END;
        ELSE
          v_last := v_last + 1;
          INSERT INTO log_entries (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256)
            VALUES (v_conv, v_last, 'message', p_client[i], p_sender[i], p_epoch[i], p_body[i]::jsonb, p_hash[i]);
          status := 'stored'; seq := v_last;
        END IF;
      END IF;
      RETURN NEXT;
    END LOOP;
    IF v_last > v_start THEN
      UPDATE conversations SET last_seq = v_last WHERE id = v_conv;
      PERFORM notify_log_append(v_conv, v_last);
    END IF;
  END LOOP;
END;
$$;

-- Append a signed epoch record (client id 'epoch:<n>'), and rewrite the access list from
-- its members. Epoch 0 creates the conversation (seq 1); epoch n+1 needs the sender to be
-- a member of epoch n. The caller has checked the record (signature, creator, members
-- registered). One row:
--   stored               seq, and `added`: the members who were not members before
--   duplicate            the same bytes were appended before: their seq (a retry)
--   conversation_exists  epoch 0 under an id taken by another record
--   not_found            no such conversation, or the sender is not a member
--   epoch_conflict       not the next epoch (or another record holds it): latest_epoch
CREATE FUNCTION append_epoch(
  p_conv text, p_sender bigint, p_epoch integer, p_body text, p_hash bytea, p_members bigint[]
) RETURNS TABLE (status text, seq bigint, latest_epoch integer, added bigint[])
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_client text := 'epoch:' || p_epoch;
  v_last   bigint;
  v_latest integer;
  v_seq    bigint;
  v_hash   bytea;
  v_taken  boolean;
BEGIN
  IF p_epoch = 0 THEN
    -- Waits for a concurrent creation of the same id; the row it inserts is locked to commit.
    INSERT INTO conversations (id, created_by, last_seq, latest_epoch) VALUES (p_conv, p_sender, 0, 0)
      ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
      SELECT e.seq, e.body_sha256 INTO v_seq, v_hash FROM log_entries e
        WHERE e.conversation_id = p_conv AND e.client_id = v_client;
      IF FOUND AND v_hash = p_hash THEN
        RETURN QUERY SELECT 'duplicate'::text, v_seq, NULL::integer, NULL::bigint[];
      ELSE
        RETURN QUERY SELECT 'conversation_exists'::text, NULL::bigint, NULL::integer, NULL::bigint[];
      END IF;
      RETURN;
    END IF;
    v_last := 0;
  ELSE
    SELECT c.last_seq, c.latest_epoch INTO v_last, v_latest FROM conversations c WHERE c.id = p_conv FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::integer, NULL::bigint[];
      RETURN;
    END IF;
    SELECT e.seq, e.body_sha256 INTO v_seq, v_hash FROM log_entries e
      WHERE e.conversation_id = p_conv AND e.client_id = v_client;
    v_taken := FOUND;
    -- Identical bytes mean the sender made this record: a retry, even if it removed itself.
    IF v_taken AND v_hash = p_hash THEN
      RETURN QUERY SELECT 'duplicate'::text, v_seq, NULL::integer, NULL::bigint[];
      RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = p_conv AND m.user_id = p_sender) THEN
      RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::integer, NULL::bigint[];
      RETURN;
    END IF;
    IF v_taken OR p_epoch <> v_latest + 1 THEN
      RETURN QUERY SELECT 'epoch_conflict'::text, NULL::bigint, v_latest, NULL::bigint[];
      RETURN;
    END IF;
  END IF;
  v_last := v_last + 1;
  UPDATE conversations SET last_seq = v_last, latest_epoch = p_epoch WHERE id = p_conv;
  INSERT INTO log_entries (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256)
    VALUES (p_conv, v_last, 'epoch', v_client, p_sender, p_epoch, p_body::jsonb, p_hash);
  DELETE FROM conversation_members m WHERE m.conversation_id = p_conv AND NOT (m.user_id = ANY(p_members));
  WITH ins AS (
    INSERT INTO conversation_members (conversation_id, user_id)
    SELECT p_conv, u FROM unnest(p_members) AS u
    ON CONFLICT DO NOTHING
    RETURNING user_id
  )
  SELECT coalesce(array_agg(ins.user_id), '{}') INTO added FROM ins;
  PERFORM notify_log_append(p_conv, v_last);
  PERFORM notify_member_added(p_conv, added);
  RETURN QUERY SELECT 'stored'::text, v_last, p_epoch, added;
END;
$$;
