-- This session's push subscription, made or replaced (one per session: a browser has one per
-- origin). The same endpoint under another session (the browser signed in again) moves here.
WITH moved AS (
  DELETE FROM push_subscriptions WHERE endpoint = ${endpoint} AND session_id <> ${sessionId}
)
INSERT INTO push_subscriptions (session_id, user_id, endpoint, p256dh, auth)
VALUES (${sessionId}, ${userPk}, ${endpoint}, ${p256dh}, ${auth})
ON CONFLICT (session_id) DO UPDATE SET endpoint = EXCLUDED.endpoint, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth
RETURNING (xmax = 0) AS created
