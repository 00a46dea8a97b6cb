SELECT last_seq AS "lastSeq", latest_epoch AS "latestEpoch" FROM conversations WHERE id = ${id} FOR UPDATE
