-- Sync service, second step (nothing had shipped, so the conversation tables are
-- recreated rather than altered):
--  * conversation ids are the protocol's identifiers (WIRE3: [A-Za-z0-9._:@-]{1,128}),
--    not only UUIDs;
--  * append_messages(): the whole append path in one round trip, so concurrent
--    appends can be group-committed;
--  * a fixed-window counter for rate limits shared by every instance.

DROP TABLE log_entries;
DROP TABLE conversation_members;
DROP TABLE conversations;

CREATE TABLE conversations (
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

CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
  FOR EACH ROW EXECUTE FUNCTION reject_log_change();
-- TRUNCATE skips row triggers: refuse it too.
CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
  FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();
CREATE TRIGGER user_keys_no_truncate BEFORE TRUNCATE ON user_keys
  FOR EACH STATEMENT EXECUTE FUNCTION reject_log_change();

CREATE INDEX sessions_token_active ON sessions (token_hash) WHERE revoked_at IS NULL;

-- Fixed-window counters (login, challenge, registration): stateless instances share them.
CREATE TABLE rate_limits (
  key           text NOT NULL,
  window_start  timestamptz NOT NULL,
  count         integer NOT NULL,
  PRIMARY KEY (key, window_start)
);

-- Append message envelopes, possibly for several conversations, in one call (and so
-- in one transaction and one commit). For each conversation, in id order (no
-- deadlocks between concurrent callers): lock its row, then for each item in
-- request order check membership and epoch, return the stored seq for a known
-- client id (or a conflict), else take the next seq. One NOTIFY per conversation
-- carries ids only: "<conversationId> <lastSeq>".
-- Each statement takes a fresh snapshot (READ COMMITTED, VOLATILE), so the
-- duplicate check after the lock sees every append that committed before it.
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
      PERFORM pg_notify('mh_log', v_conv || ' ' || v_last);
    END IF;
  END LOOP;
END;
$$;
