-- Bodies are stored as `json`, not `jsonb`: the service stores the canonical JSON text of
-- protocol's parsed record or envelope (its key order, no spaces) and hands back exactly
-- that text, without re-encoding it on every write and read. Existing rows keep their
-- content (re-rendered once by the cast). The column's type change rewrites the table
-- without firing the append-only row triggers.

ALTER TABLE log_entries ALTER COLUMN body TYPE json USING body::json;

CREATE OR REPLACE FUNCTION append_messages(
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
            VALUES (v_conv, v_last, 'message', p_client[i], p_sender[i], p_epoch[i], p_body[i]::json, p_hash[i]);
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
