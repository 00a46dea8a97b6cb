import Joi from 'joi';
import type { PendingReset } from '../../db/key-resets.ts';
import * as S from '../../schemas.ts';

// Key reset when every key is lost (THREATS L1). Never with a token alone, never silent:
// a session asks, then waits RESET_WAIT_SECONDS (default 7 days) during which every
// device of the account sees the pending reset (GET) and can cancel it with the current
// key (DELETE, ACCT4). Only the asking session can complete it; revoking that session,
// or rotating the keys, voids it. Completing appends a version of kind 'reset' (contacts
// see a blocking key change) and revokes every session of the account.

export const resetParams = Joi.object({ resetId: S.uuid.required() });

/** What devices are shown: everything but the proof. */
export function view(p: PendingReset | null) {
  if (!p) return null;
  const { proof: _proof, ...shown } = p;
  return shown;
}
