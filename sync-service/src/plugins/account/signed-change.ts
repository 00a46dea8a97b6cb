import type { Request } from '@hapi/hapi';
import type { AccountPurpose } from '../../db/account-challenges.ts';
import type { UserRow } from '../../db/users.ts';
import type { Caller } from '../auth/scheme.ts';
import { ApiError } from '../errors/index.ts';

/**
 * THREATS L1: a bearer token alone never changes keys or sessions. Consume the caller's
 * challenge for `purpose` (single use, in time; a wrong signature burns it too), then
 * check `verify` against the account's current key. Answers 404 unknown_challenge (also
 * for another user's or another purpose's), 403 challenge_used, 403 challenge_expired,
 * 403 bad_signature.
 */
export async function requireSignedChange(
  request: Request,
  me: Caller,
  purpose: AccountPurpose,
  challengeId: string,
  verify: (current: UserRow, nonce: string) => Promise<boolean>,
): Promise<{ current: UserRow; nonce: string }> {
  const db = request.server.app.database.db;
  const nonce = await db.accountChallenges.consume(challengeId, me.userPk, purpose);
  if (nonce === null) {
    const state = await db.accountChallenges.state(challengeId, me.userPk, purpose);
    if (!state) throw new ApiError(404, 'unknown_challenge', 'no such challenge for this change');
    if (state.used) throw new ApiError(403, 'challenge_used', 'this challenge has been used already');
    throw new ApiError(403, 'challenge_expired', 'this challenge has expired; ask for a new one');
  }
  const current = await db.users.findByPk(me.userPk);
  if (!current || !(await verify(current, nonce))) {
    throw new ApiError(403, 'bad_signature', 'the signature by your current key does not match this change');
  }
  return { current, nonce };
}
