-- Unblock a user (nothing to do when not blocked).
DELETE FROM blocks WHERE blocker_id = ${blockerPk} AND blocked_id = ${blockedPk}
