-- Fixed window: one row per key and window; returns the count including this hit.
INSERT INTO rate_limits AS r (key, window_start, count)
VALUES (${key}, to_timestamp(floor(extract(epoch FROM now()) / ${windowSeconds}) * ${windowSeconds}), 1)
ON CONFLICT (key, window_start) DO UPDATE SET count = r.count + 1
RETURNING count, ceil(extract(epoch FROM (r.window_start + make_interval(secs => ${windowSeconds}) - now())))::int AS "retryAfter"
