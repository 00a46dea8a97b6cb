-- Linking a device from another device (protocol LINK1..LINK6, issue 12): a short-lived
-- relay slot per link. The new device leaves its ephemeral public key (LINK2); a signed-in
-- device of the account leaves one sealed handover (LINK3); the new device takes it once,
-- with the slot's token, and the row is gone (LINK5). The service never sees the code's
-- secret or check, nor anything it could test a guess of them against (LINK3).
--  * locator: the code's first four Crockford characters, chosen here (LINK1).
--  * token_hash: SHA-256 of the token only the new device holds (it reads the handover).
--  * attempts: handovers tried for this slot; one is stored, later ones are refused.
CREATE TABLE device_links (
  locator      text PRIMARY KEY CHECK (locator ~ '^[0-9A-HJKMNP-TV-Z]{4}$'),
  token_hash   bytea NOT NULL,
  public_key   text NOT NULL,
  handover     jsonb,
  posted_by    bigint REFERENCES users (id) ON DELETE CASCADE,
  attempts     integer NOT NULL DEFAULT 0,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_links_expires ON device_links (expires_at);
