INSERT INTO log_entries (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256)
VALUES (${conversationId}, ${seq}, 'epoch', ${clientId}, ${senderPk}, ${epoch}, ${body}::jsonb, ${hash})
