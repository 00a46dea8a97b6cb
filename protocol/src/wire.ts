// Strict decoding at the boundary (WIRE1..). Everything that arrives from the
// network or the database passes through here before any crypto touches it:
// exact key sets, exact types, exact byte lengths, canonical base64url. The signed records
// (envelopes, device certificates and revocations, epoch records) are read by
// wire-records.ts with these checks: the app's start (a public identity) needs only these.
import { ProtocolError, fromBase64Url } from './encoding.ts';
import { ED25519_KEY_BYTES, HASH_RE, ID_RE, PROTOCOL_VERSION, RSA_SPKI_MAX_BYTES, RSA_SPKI_MIN_BYTES, UUID_RE, base64UrlChars } from './rules.ts';
import type { PublicIdentity } from './types.ts';

export function fail(what: string): never {
  throw new ProtocolError('malformed', what);
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function exactKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  const own = Object.keys(o);
  if (own.length !== keys.length) fail(`${what}: unexpected or missing fields`);
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(o, k)) fail(`${what}: missing ${k}`);
}

export function isId(x: unknown): x is string {
  return typeof x === 'string' && ID_RE.test(x);
}
export function checkId(x: unknown, what: string): string {
  if (!isId(x)) fail(`${what}: not a valid identifier`);
  return x;
}
export function checkUuid(x: unknown, what: string): string {
  if (typeof x !== 'string' || !UUID_RE.test(x)) fail(`${what}: not a lowercase UUID`);
  return x;
}
export function checkHash(x: unknown, what: string): string {
  if (typeof x !== 'string' || !HASH_RE.test(x)) fail(`${what}: not a hex SHA-256`);
  return x;
}
export function checkInt(x: unknown, min: number, max: number, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) fail(`${what}: integer out of range`);
  return x;
}
/** Decodes base64url and checks the byte length lies in [min, max]. */
export function checkB64(x: unknown, min: number, max: number, what: string): Uint8Array {
  if (typeof x !== 'string') fail(`${what}: not a string`);
  // Reject before decoding so an oversized field costs nothing.
  if (x.length > base64UrlChars(max)) fail(`${what}: too long`);
  const b = fromBase64Url(x);
  if (b.length < min || b.length > max) fail(`${what}: wrong length`);
  return b;
}

export function checkVersion(o: Record<string, unknown>, what: string): void {
  if (!('v' in o)) fail(`${what}: no version`);
  if (o.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('unsupported-version', `${what}: version ${String(o.v)} is not supported`);
  }
}

const PUBLIC_IDENTITY_KEYS = ['v', 'userId', 'encryptionKey', 'signingKey'] as const;

/** WIRE4: shape and sizes of a public identity; key validity is checked by importPublicIdentity. */
export function parsePublicIdentity(json: unknown): PublicIdentity {
  if (!isRecord(json)) fail('identity: not an object');
  checkVersion(json, 'identity');
  exactKeys(json, PUBLIC_IDENTITY_KEYS, 'identity');
  const userId = checkId(json.userId, 'identity.userId');
  checkB64(json.encryptionKey, RSA_SPKI_MIN_BYTES, RSA_SPKI_MAX_BYTES, 'identity.encryptionKey');
  checkB64(json.signingKey, ED25519_KEY_BYTES, ED25519_KEY_BYTES, 'identity.signingKey');
  return { v: 1, userId, encryptionKey: json.encryptionKey as string, signingKey: json.signingKey as string };
}
