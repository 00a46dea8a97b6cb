-- The user's archive entries wrapped to one key (its current one), by conversation and epoch.
SELECT entry FROM epoch_archive
WHERE user_id = ${userPk} AND recipient_key = ${recipientKey}
ORDER BY conversation_id, epoch, epoch_hash
