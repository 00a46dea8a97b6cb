-- A slot as an existing device sees it: the new device's key, and whether it is spent.
SELECT locator, public_key AS "publicKey", expires_at AS "expiresAt", expires_at < now() AS expired, handover IS NOT NULL AS used
FROM device_links WHERE locator = ${locator}
