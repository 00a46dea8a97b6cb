-- The slot as its new device (holder of the token) sees it.
SELECT expires_at AS "expiresAt", expires_at < now() AS expired, handover IS NOT NULL AS ready
FROM device_links WHERE locator = ${locator} AND token_hash = ${tokenHash}
