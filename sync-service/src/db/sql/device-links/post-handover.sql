-- One handover per live slot (LINK5): every try is counted; only the first is stored.
UPDATE device_links
SET attempts = attempts + 1,
    handover = COALESCE(handover, ${handover}::jsonb),
    posted_by = COALESCE(posted_by, ${userPk})
WHERE locator = ${locator} AND expires_at >= now()
RETURNING attempts, (attempts = 1) AS stored
