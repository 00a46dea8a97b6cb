-- Expired slots, and whatever they held, are forgotten (LINK5).
DELETE FROM device_links WHERE expires_at < now()
