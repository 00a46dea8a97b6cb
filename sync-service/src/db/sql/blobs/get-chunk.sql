SELECT bytes FROM blob_chunks WHERE blob_pk = ${blobPk} AND idx = ${index}
