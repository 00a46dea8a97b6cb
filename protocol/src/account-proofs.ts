// Account changes (ACCT1..ACCT5, THREATS L1): a bearer token alone never changes keys or
// sessions. Each change carries a fresh Ed25519 signature by the account's current key
// over a single-use server nonce, under a purpose of its own, binding the user and the
// thing changed. Single use and expiry are the server's job; clients check rotations in
// the key history themselves (the server is untrusted).
import { buf, canonical, fromBase64Url, toBase64Url } from './encoding.ts';
import type { Identity, PublicIdentity } from './identity.ts';
import { importPublicIdentity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { ED25519_KEY_BYTES, MAX_EPOCH, SIG_BYTES } from './rules.ts';
import { checkB64, checkId, checkInt, fail, parsePublicIdentity } from './wire.ts';

/** ACCT1: server nonces are exactly 32 bytes, as for login (AUTH4). */
export const ACCOUNT_NONCE_BYTES = 32;

/** What a key rotation signs besides the new identity. */
export interface RotationChallenge {
  /** base64url of the 32-byte single-use server nonce. */
  nonce: string;
  /** The version of the key that signs (the current one); the new key becomes fromVersion + 1. */
  fromVersion: number;
}

/** One entry of a user's key history as the directory serves it. */
export interface KeyHistoryEntry {
  version: number;
  identity: PublicIdentity;
  /** KEY5 proof of possession by the entry's own key. */
  proof: string;
  /** What the server says this version is; only `rotation` can be checked (ACCT5). */
  kind: 'initial' | 'rotation' | 'reset';
  /** For a rotation: the nonce and the signature by version - 1 (ACCT2). */
  rotation?: { nonce: string; signature: string } | null;
}

function nonceBytes(nonce: string): Uint8Array {
  return checkB64(nonce, ACCOUNT_NONCE_BYTES, ACCOUNT_NONCE_BYTES, 'account.nonce');
}

function identityFields(pubIn: PublicIdentity): (string | number | Uint8Array)[] {
  const pub = parsePublicIdentity(pubIn);
  const sig = fromBase64Url(pub.signingKey);
  if (sig.length !== ED25519_KEY_BYTES) fail('identity: signing key size');
  return [pub.v, pub.userId, fromBase64Url(pub.encryptionKey), sig];
}

/** ACCT2: (purpose, nonce, userId, fromVersion, new identity as in KEY5). */
export function rotationInput(userId: string, c: RotationChallenge, next: PublicIdentity): Uint8Array {
  checkId(userId, 'rotation.userId');
  checkInt(c.fromVersion, 1, MAX_EPOCH, 'rotation.fromVersion');
  if (next.userId !== userId) fail('rotation: the new identity is for another user');
  return canonical(PURPOSE.rotate, [nonceBytes(c.nonce), userId, c.fromVersion, ...identityFields(next)]);
}

/** ACCT3: (purpose, nonce, userId, sessionId). */
export function revokeSessionInput(userId: string, nonce: string, sessionId: string): Uint8Array {
  return canonical(PURPOSE.revokeSession, [nonceBytes(nonce), checkId(userId, 'revoke.userId'), checkId(sessionId, 'revoke.sessionId')]);
}

/** ACCT4: (purpose, nonce, userId, resetId). */
export function cancelResetInput(userId: string, nonce: string, resetId: string): Uint8Array {
  return canonical(PURPOSE.cancelReset, [nonceBytes(nonce), checkId(userId, 'cancel.userId'), checkId(resetId, 'cancel.resetId')]);
}

async function sign(identity: Identity, input: Uint8Array): Promise<string> {
  const s = await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, identity.signing.privateKey, buf(input));
  return toBase64Url(new Uint8Array(s));
}

/** Never throws: anything odd is `false`. */
async function verify(pub: PublicIdentity, input: () => Uint8Array, signature: string): Promise<boolean> {
  try {
    const imported = await importPublicIdentity(pub);
    const sig = fromBase64Url(signature);
    if (sig.length !== SIG_BYTES) return false;
    return await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, imported.signingKey, buf(sig), buf(input()));
  } catch {
    return false;
  }
}

/** ACCT2: the current key signs the next one. Throws ProtocolError('malformed') on bad input. */
export async function signRotation(current: Identity, c: RotationChallenge, next: PublicIdentity): Promise<string> {
  return sign(current, rotationInput(current.userId, c, next));
}

/** ACCT2: does `signature` by `previous` (version fromVersion) certify `next`? Never throws. */
export async function verifyRotation(previous: PublicIdentity, c: RotationChallenge, next: PublicIdentity, signature: string): Promise<boolean> {
  if (previous?.userId !== next?.userId) return false;
  return verify(previous, () => rotationInput(previous.userId, c, next), signature);
}

/** ACCT3: the current key approves revoking one session. */
export async function signRevokeSession(current: Identity, nonce: string, sessionId: string): Promise<string> {
  return sign(current, revokeSessionInput(current.userId, nonce, sessionId));
}

export function verifyRevokeSession(current: PublicIdentity, nonce: string, sessionId: string, signature: string): Promise<boolean> {
  return verify(current, () => revokeSessionInput(current?.userId, nonce, sessionId), signature);
}

/** ACCT4: the current key cancels a pending reset. */
export async function signCancelReset(current: Identity, nonce: string, resetId: string): Promise<string> {
  return sign(current, cancelResetInput(current.userId, nonce, resetId));
}

export function verifyCancelReset(current: PublicIdentity, nonce: string, resetId: string, signature: string): Promise<boolean> {
  return verify(current, () => cancelResetInput(current?.userId, nonce, resetId), signature);
}

/**
 * ACCT5: how a client should treat the step from `previous` to `entry` in a key history.
 * `rotation`: signed by the previous key (a notice); `reset`: unsigned, whatever the server
 * says (a blocking key change); `forged-rotation`: the server calls it a rotation but the
 * signature does not hold (treat as an attack). Never throws.
 */
export async function classifyKeyChange(previous: KeyHistoryEntry, entry: KeyHistoryEntry): Promise<'rotation' | 'reset' | 'forged-rotation'> {
  if (entry.version !== previous.version + 1 || entry.identity?.userId !== previous.identity?.userId) {
    return entry.kind === 'rotation' ? 'forged-rotation' : 'reset';
  }
  if (entry.kind !== 'rotation') return 'reset';
  const r = entry.rotation;
  if (!r || typeof r.nonce !== 'string' || typeof r.signature !== 'string') return 'forged-rotation';
  const ok = await verifyRotation(previous.identity, { nonce: r.nonce, fromVersion: previous.version }, entry.identity, r.signature);
  return ok ? 'rotation' : 'forged-rotation';
}
