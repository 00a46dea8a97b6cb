-- The users the caller blocks, by user id (byte order), after a user id, at most `limit`.
SELECT u.user_id AS "userId", b.created_at AS "createdAt"
FROM blocks b JOIN users u ON u.id = b.blocked_id
WHERE b.blocker_id = ${blockerPk} AND (${after}::text IS NULL OR (u.user_id COLLATE "C") > ${after}::text)
ORDER BY (u.user_id COLLATE "C")
LIMIT ${limit}
