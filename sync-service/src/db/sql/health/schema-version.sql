-- A round trip to Postgres, and the schema version postgrator applied.
SELECT coalesce(max(version), 0)::int AS version FROM schemaversion
