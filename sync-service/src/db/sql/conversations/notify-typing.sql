SELECT pg_notify('mh_typing', ${payload}) AS sent
