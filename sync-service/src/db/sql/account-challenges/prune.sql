DELETE FROM account_challenges WHERE expires_at < now() - interval '1 hour'
