-- THREATS L3: no number of conversations may turn into a refusal. POST /sync and the
-- WebSocket's subscribe frames walk the caller's conversations in windows, in byte order of
-- the id (COLLATE "C": the order JavaScript sorts the ids in, whatever the database's
-- locale), so a client never names more than one window of cursors in one request.
CREATE INDEX conversation_members_user_window ON conversation_members (user_id, (conversation_id COLLATE "C"));

-- Message requests (THREATS L3): a user blocks another, and the service refuses any new
-- conversation (or new epoch) by the blocked user that would put the blocker in it. The
-- service learns who blocks whom (sync-service/SECURITY.md); nothing else is stored.
CREATE TABLE blocks (
  blocker_id  bigint NOT NULL REFERENCES users (id),
  blocked_id  bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CHECK (blocker_id <> blocked_id)
);
-- "Did any of these members block the creator?" reads by the blocked user.
CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);
