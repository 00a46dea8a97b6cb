// Signed account changes (THREATS L1, protocol ACCT1..ACCT4) as a device makes them.
import type { Server } from '@hapi/hapi';
import { signCancelReset, signRegistration, signRevokeSession, signRotation, type Identity } from '../../protocol/src/index.ts';
import { call } from './service.ts';

export async function accountChallenge(server: Server, token: string, purpose: 'rotate' | 'revoke-session' | 'cancel-reset') {
  const res = await call(server, 'POST', '/api/v1/users/me/challenge', { token, payload: { purpose } });
  if (res.status !== 201) throw new Error(`challenge ${purpose}: ${res.status} ${res.payload}`);
  return res.json as { challengeId: string; nonce: string };
}

/** DELETE /api/v1/sessions/{id}, signed by `signer` (the account's current key, if honest). */
export async function revokeSession(server: Server, token: string, sessionId: string, signer: Identity) {
  const c = await accountChallenge(server, token, 'revoke-session');
  const signature = await signRevokeSession(signer, c.nonce, sessionId);
  return call(server, 'DELETE', `/api/v1/sessions/${sessionId}`, { token, payload: { challengeId: c.challengeId, signature } });
}

/** POST /api/v1/users/me/keys: rotate from `current` (at `fromVersion`) to `next`, signed by `signer`. */
export async function rotateKeys(server: Server, token: string, current: Identity, next: Identity, fromVersion: number, signer: Identity = current) {
  const c = await accountChallenge(server, token, 'rotate');
  const signature = await signRotation(signer, { nonce: c.nonce, fromVersion }, next.public);
  return call(server, 'POST', '/api/v1/users/me/keys', {
    token, payload: { identity: next.public, proof: await signRegistration(next), challengeId: c.challengeId, signature },
  });
}

/** DELETE /api/v1/users/me/reset/{id}, signed by `signer`. */
export async function cancelReset(server: Server, token: string, resetId: string, signer: Identity) {
  const c = await accountChallenge(server, token, 'cancel-reset');
  const signature = await signCancelReset(signer, c.nonce, resetId);
  return call(server, 'DELETE', `/api/v1/users/me/reset/${resetId}`, { token, payload: { challengeId: c.challengeId, signature } });
}
