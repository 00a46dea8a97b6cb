-- This session's push subscription, removed (nothing to do when it has none).
DELETE FROM push_subscriptions WHERE session_id = ${sessionId}
