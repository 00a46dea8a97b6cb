-- Whether any of these users blocks the given one (a conversation naming them is refused).
SELECT EXISTS (SELECT 1 FROM blocks WHERE blocked_id = ${blockedPk} AND blocker_id = ANY(${blockerPks}::bigint[])) AS "blocked"
