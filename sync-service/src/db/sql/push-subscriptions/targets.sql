-- The push subscriptions to wake after these entries were stored: those of the live sessions
-- of each conversation's members other than the entry's sender, unless the member blocks
-- the sender. One row per subscription.
SELECT DISTINCT p.endpoint, p.p256dh, p.auth
FROM unnest(${conversationIds}::text[], ${senderPks}::bigint[]) AS t (conversation_id, sender_id)
JOIN conversation_members m ON m.conversation_id = t.conversation_id AND m.user_id <> t.sender_id
JOIN push_subscriptions p ON p.user_id = m.user_id
JOIN sessions s ON s.id = p.session_id AND s.revoked_at IS NULL AND s.expires_at > now()
WHERE NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = m.user_id AND b.blocked_id = t.sender_id)
