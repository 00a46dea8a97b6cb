-- Web Push subscriptions (issue 16, SECURITY.md "Notifications"): one per device session,
-- the browser's push service endpoint and the two public values RFC 8291 encrypts to
-- (p256dh: the browser's P-256 key, auth: its 16-byte secret). The service sends a push
-- that says only "new messages" (no sender, no conversation, no text) to the subscriptions
-- of the other members of a conversation after an append commits; a subscription the push
-- service calls gone (404/410) is deleted. A session revoked or expired is never woken.
CREATE TABLE push_subscriptions (
  session_id  uuid PRIMARY KEY REFERENCES sessions (id),
  user_id     bigint NOT NULL REFERENCES users (id),
  endpoint    text NOT NULL UNIQUE,
  p256dh      text NOT NULL,
  auth        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- "The subscriptions of these members" (after every append).
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
