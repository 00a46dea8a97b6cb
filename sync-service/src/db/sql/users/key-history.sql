SELECT k.version, k.public_identity AS identity, k.proof, k.created_at AS "createdAt"
FROM user_keys k WHERE k.user_id = ${id} ORDER BY k.version
