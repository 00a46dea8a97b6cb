-- Message envelopes of one or several conversations, in one statement: append_messages() in
-- db/migrations/001 (lock per conversation in id order, idempotent client ids, NOTIFY mh_log).
-- One row per input item: idx (1-based), status, seq.
SELECT idx, status, seq
FROM append_messages(${conv}::text[], ${client}::text[], ${sender}::bigint[], ${epoch}::integer[], ${body}::text[], ${hash}::bytea[])
