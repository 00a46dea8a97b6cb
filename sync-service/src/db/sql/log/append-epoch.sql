-- A signed epoch record, and the access list rewritten from its members, in one statement:
-- append_epoch() in db/migrations/001 (epoch 0 creates the conversation; NOTIFY mh_log and
-- mh_member in the same format as append_messages()).
SELECT status, seq, latest_epoch AS "latestEpoch", added
FROM append_epoch(${conversationId}, ${senderPk}, ${epoch}, ${body}, ${hash}, ${memberPks}::bigint[])
