-- Message envelopes of one or several conversations, in one statement: append_messages() in
-- db/migrations/001 (lock per conversation in id order, idempotent client ids, NOTIFY mh_log).
-- One row per input item: idx (1-based), status, seq, and the transaction's now(), which is
-- the created_at of every row it stored (the column's default): the committing instance
-- pushes the new entries without reading them back.
SELECT idx, status, seq, now() AS "createdAt"
FROM append_messages(${conv}::text[], ${client}::text[], ${sender}::bigint[], ${epoch}::integer[], ${body}::text[], ${hash}::bytea[])
