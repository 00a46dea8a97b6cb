// Login proof (AUTH1..AUTH4, T1, T2): the client signs the server's nonce together
// with the origin and its own user id under the login purpose. Single use and
// expiry are the server's job (it issues and forgets nonces); binding origin and
// user here means a proof captured on one site or for one account is useless elsewhere.
import { buf, canonical, fromBase64Url, toBase64Url } from './encoding.ts';
import { importPublicIdentity, type Identity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { AUTH_NONCE_BYTES, SIG_BYTES } from './rules.ts';
import type { PublicIdentity } from './types.ts';
import { checkB64, checkId, checkUuid, fail } from './wire.ts';

export interface LoginChallenge {
  /** base64url of 32 random bytes issued by the server. */
  nonce: string;
  /** The web origin the client is talking to, e.g. "https://messagehub.example". */
  origin: string;
}

const ORIGIN_RE = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/;

function loginInput(c: LoginChallenge, userId: string): Uint8Array {
  const nonce = checkB64(c.nonce, AUTH_NONCE_BYTES, AUTH_NONCE_BYTES, 'auth.nonce');
  if (typeof c.origin !== 'string' || !ORIGIN_RE.test(c.origin)) fail('auth.origin: not an origin');
  checkId(userId, 'auth.userId');
  return canonical(PURPOSE.auth, [nonce, c.origin, userId]);
}

/** AUTH1: sign (purpose, nonce, origin, userId). Throws ProtocolError('malformed') on a bad challenge. */
export async function signLoginProof(identity: Identity, challenge: LoginChallenge): Promise<string> {
  const input = loginInput(challenge, identity.userId);
  const s = await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, identity.signing.privateKey, buf(input));
  return toBase64Url(new Uint8Array(s));
}

/** AUTH2: server side. Never throws; anything odd is just `false`. */
export async function verifyLoginProof(
  pub: PublicIdentity,
  challenge: LoginChallenge & { userId: string },
  proof: string,
): Promise<boolean> {
  try {
    if (pub.userId !== challenge.userId) return false;
    const imported = await importPublicIdentity(pub);
    const sig = fromBase64Url(proof);
    if (sig.length !== SIG_BYTES) return false;
    const input = loginInput(challenge, challenge.userId);
    return await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, imported.signingKey, buf(sig), buf(input));
  } catch {
    return false;
  }
}

/**
 * DEV12: the device's own key signs the same challenge under a purpose of its own, with
 * the device id, so a login names the device it comes from and the service can refuse a
 * revoked one (DEV13). Throws ProtocolError('malformed') on a bad challenge.
 */
export async function signDeviceLoginProof(device: { cert: { userId: string; deviceId: string }; privateKey: CryptoKey }, challenge: LoginChallenge): Promise<string> {
  const input = deviceLoginInput(challenge, device.cert.userId, device.cert.deviceId);
  const s = await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, device.privateKey, buf(input));
  return toBase64Url(new Uint8Array(s));
}

/** DEV12: (purpose, nonce, origin, userId, deviceId); the server side is device.ts `verifyDeviceLoginProof`. */
export function deviceLoginInput(c: LoginChallenge, userId: string, deviceId: string): Uint8Array {
  const nonce = checkB64(c.nonce, AUTH_NONCE_BYTES, AUTH_NONCE_BYTES, 'auth.nonce');
  if (typeof c.origin !== 'string' || !ORIGIN_RE.test(c.origin)) fail('auth.origin: not an origin');
  return canonical(PURPOSE.deviceLogin, [nonce, c.origin, checkId(userId, 'auth.userId'), checkUuid(deviceId, 'auth.deviceId')]);
}
