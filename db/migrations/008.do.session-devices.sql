-- A session names the device it was opened from (protocol DEV12, DEV13, issue 12 "a lost
-- phone cut off for good"): a login carries the device's certificate and a proof by the
-- device's own key, and the service keeps the device id with the session. Revoking a
-- device (DEV8) then ends every session that device opened, whenever it opened it, and a
-- login naming a revoked device is refused. NULL: a login that named no device (older
-- clients, tests); those sessions are ended by the owner one by one (ACCT3).
ALTER TABLE sessions ADD COLUMN device_id uuid;
CREATE INDEX sessions_user_device ON sessions (user_id, device_id) WHERE device_id IS NOT NULL;
