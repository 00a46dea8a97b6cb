DELETE FROM login_challenges WHERE expires_at < now() - interval '1 hour'
