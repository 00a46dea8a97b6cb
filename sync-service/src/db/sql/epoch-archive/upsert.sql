-- One archive entry (HIST1), idempotent: a repeat for the same epoch and key replaces it.
INSERT INTO epoch_archive (user_id, conversation_id, epoch, epoch_hash, recipient_key, entry)
VALUES (${userPk}, ${conversationId}, ${epoch}, ${epochHash}, ${recipientKey}, ${entry})
ON CONFLICT (conversation_id, user_id, epoch, epoch_hash, recipient_key) DO UPDATE SET entry = EXCLUDED.entry
