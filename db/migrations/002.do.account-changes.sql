-- Account changes (THREATS L1): a bearer token alone never changes keys or sessions.
--  * user_keys says what each version after the first is: a rotation signed by the
--    previous key (its nonce and signature kept, so clients check it themselves) or a
--    reset. NULL (rows written before this migration, or by anything but the service's
--    routes) reads as version 1 'initial', otherwise 'reset': an unexplained change is
--    never shown as a rotation.
--  * account_challenges: single-use nonces for signed account changes, bound to a user
--    and a purpose, short-lived (as login_challenges are for login).
--  * key_resets: a reset without the old key waits (RESET_WAIT_SECONDS); the owner's
--    devices see it and can cancel it with a signature by the current key.

ALTER TABLE user_keys
  ADD COLUMN kind text CHECK (kind IN ('rotation', 'reset')),
  ADD COLUMN rotation_nonce text,
  ADD COLUMN rotation_sig text,
  ADD CONSTRAINT user_keys_rotation_signed CHECK (CASE WHEN kind = 'rotation'
    THEN rotation_nonce IS NOT NULL AND rotation_sig IS NOT NULL
    ELSE rotation_nonce IS NULL AND rotation_sig IS NULL END);

CREATE TABLE account_challenges (
  id          uuid PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  purpose     text NOT NULL CHECK (purpose IN ('rotate', 'revoke-session', 'cancel-reset')),
  nonce       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX account_challenges_expires_at ON account_challenges (expires_at);

CREATE TABLE key_resets (
  id               uuid PRIMARY KEY,
  user_id          bigint NOT NULL REFERENCES users (id),
  -- The session that asked; only it can complete the reset, so revoking it stops the reset.
  session_id       uuid NOT NULL REFERENCES sessions (id),
  -- The key version the reset replaces: a rotation in between makes the reset void.
  base_version     integer NOT NULL,
  public_identity  jsonb NOT NULL,
  proof            text NOT NULL,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  completes_at     timestamptz NOT NULL,
  cancelled_at     timestamptz,
  completed_at     timestamptz
);
-- At most one open reset per user.
CREATE UNIQUE INDEX key_resets_one_open ON key_resets (user_id) WHERE cancelled_at IS NULL AND completed_at IS NULL;

-- Open resets that can still complete: the asking session is live and the keys have not
-- changed since the request.
CREATE VIEW pending_key_resets AS
SELECT r.* FROM key_resets r
JOIN sessions s ON s.id = r.session_id AND s.revoked_at IS NULL AND s.expires_at > now()
WHERE r.cancelled_at IS NULL AND r.completed_at IS NULL
  AND r.base_version = (SELECT max(k.version) FROM user_keys k WHERE k.user_id = r.user_id);
