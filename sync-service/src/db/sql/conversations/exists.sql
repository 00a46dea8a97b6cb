-- Whether a conversation with this id exists (a creation retried is not counted again).
SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ${id}) AS "exists"
