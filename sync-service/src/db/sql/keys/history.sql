-- A user's key history, oldest first. kind: version 1 is 'initial'; a later version is a
-- 'rotation' only with the previous key's signature (ACCT2), anything else reads 'reset'.
SELECT k.version, k.public_identity AS identity, k.proof, k.created_at AS "createdAt",
       coalesce(k.kind, CASE WHEN k.version = 1 THEN 'initial' ELSE 'reset' END) AS kind,
       CASE WHEN k.kind = 'rotation' THEN json_build_object('nonce', k.rotation_nonce, 'signature', k.rotation_sig) END AS rotation
FROM user_keys k WHERE k.user_id = ${userPk} ORDER BY k.version
