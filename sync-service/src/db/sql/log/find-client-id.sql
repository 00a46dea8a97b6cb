SELECT seq, body_sha256 AS hash FROM log_entries WHERE conversation_id = ${conversationId} AND client_id = ${clientId}
