-- Devices (protocol DEV1..DEV11, issue 12): each device of an account signs with a key of
-- its own, certified by the account key; the account key withdraws a device for good with a
-- signed revocation. The service keeps both, append-only, so every client can fetch them
-- (it cannot forge them: both are signed by the account key and checked by clients).
--  * device_certificates: one row per (user, device, certifying key); session_id is the
--    session that registered it, so a revocation can end that device's session.
--  * device_revocations: at most one per device, final; nothing un-revokes a device.
CREATE TABLE device_certificates (
  user_id              bigint NOT NULL REFERENCES users (id),
  device_id            uuid NOT NULL,
  account_fingerprint  text NOT NULL,
  certificate          jsonb NOT NULL,
  session_id           uuid REFERENCES sessions (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device_id, account_fingerprint)
);

CREATE TABLE device_revocations (
  user_id     bigint NOT NULL REFERENCES users (id),
  device_id   uuid NOT NULL,
  revocation  jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, device_id)
);

-- Append-only: a certificate or a revocation, once stored, is never changed or removed.
CREATE FUNCTION devices_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER device_certificates_append_only BEFORE UPDATE OR DELETE ON device_certificates
  FOR EACH ROW EXECUTE FUNCTION devices_append_only();
CREATE TRIGGER device_revocations_append_only BEFORE UPDATE OR DELETE ON device_revocations
  FOR EACH ROW EXECUTE FUNCTION devices_append_only();
