-- THREATS L3: no number of conversations may turn into a refusal. POST /sync and the
-- WebSocket's subscribe frames walk the caller's conversations in windows, in byte order of
-- the id (COLLATE "C": the order JavaScript sorts the ids in, whatever the database's
-- locale), so a client never names more than one window of cursors in one request.
CREATE INDEX conversation_members_user_window ON conversation_members (user_id, (conversation_id COLLATE "C"));
