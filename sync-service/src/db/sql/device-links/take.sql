-- The new device takes the handover once (LINK5): the slot goes with it.
DELETE FROM device_links
WHERE locator = ${locator} AND token_hash = ${tokenHash} AND handover IS NOT NULL AND expires_at >= now()
RETURNING handover
