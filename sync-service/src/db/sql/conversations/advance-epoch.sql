UPDATE conversations SET last_seq = last_seq + 1, latest_epoch = ${epoch} WHERE id = ${id} RETURNING last_seq AS seq
