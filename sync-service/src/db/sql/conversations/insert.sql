INSERT INTO conversations (id, created_by, last_seq, latest_epoch) VALUES (${id}, ${creatorPk}, 1, 0)
ON CONFLICT (id) DO NOTHING
RETURNING id
