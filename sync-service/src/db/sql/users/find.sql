SELECT u.id, u.user_id AS "userId", u.display_name AS "displayName",
       k.version AS "keyVersion", k.public_identity AS identity, k.proof
FROM users u
JOIN LATERAL (SELECT * FROM user_keys WHERE user_id = u.id ORDER BY version DESC LIMIT 1) k ON true
WHERE u.user_id = ${userId}
