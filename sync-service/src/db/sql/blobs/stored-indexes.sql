-- The indexes of the chunks stored, in order (what a resumed upload still has to send).
SELECT idx FROM blob_chunks WHERE blob_pk = ${blobPk} ORDER BY idx
