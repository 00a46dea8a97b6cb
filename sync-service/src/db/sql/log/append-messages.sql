SELECT idx, status, seq FROM append_messages(${conv}::text[], ${client}::text[], ${sender}::bigint[], ${epoch}::integer[], ${body}::text[], ${hash}::bytea[])
