// Identities (KEY1..KEY6) and fingerprints/safety numbers (SN1..SN3): an RSA-OAEP 3072/SHA-256 pair for receiving epoch
// keys and an Ed25519 pair for signing, made on the client. Private halves are
// non-extractable everywhere except inside createIdentity, while being sealed
// into the key file.
import { ProtocolError, buf, canonical, fromBase64Url, sha256, toBase64Url, toHex } from './encoding.ts';
import { PURPOSE } from './purpose.ts';
import { ED25519_KEY_BYTES, RSA_BITS } from './rules.ts';
import type { PublicIdentity } from './types.ts';
import { parsePublicIdentity } from './wire.ts';

export type { PublicIdentity } from './types.ts';

export interface Identity {
  userId: string;
  public: PublicIdentity;
  encryption: CryptoKeyPair;
  signing: CryptoKeyPair;
}

/** A validated, imported public identity; pass this to resolveIdentity to skip re-imports. */
export interface ImportedIdentity {
  pub: PublicIdentity;
  encryptionKey: CryptoKey;
  signingKey: CryptoKey;
  fingerprint: string;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const RSA_IMPORT: RsaHashedImportParams = { name: 'RSA-OAEP', hash: 'SHA-256' };
const ED25519 = { name: 'Ed25519' } as const;

/**
 * KEY4: validates shape, sizes, RSA modulus (3072) and exponent (65537), and
 * the Ed25519 key, and returns imported keys plus the fingerprint.
 */
export async function importPublicIdentity(pubIn: PublicIdentity): Promise<ImportedIdentity> {
  const pub = parsePublicIdentity(pubIn);
  let encryptionKey: CryptoKey;
  let signingKey: CryptoKey;
  try {
    encryptionKey = await subtle().importKey('spki', buf(fromBase64Url(pub.encryptionKey)), RSA_IMPORT, true, ['encrypt']);
    signingKey = await subtle().importKey('raw', buf(fromBase64Url(pub.signingKey)), ED25519, true, ['verify']);
  } catch {
    throw new ProtocolError('malformed', 'identity: keys do not import');
  }
  const alg = encryptionKey.algorithm as RsaHashedKeyAlgorithm;
  const e = alg.publicExponent;
  if (alg.modulusLength !== RSA_BITS || e.length !== 3 || e[0] !== 1 || e[1] !== 0 || e[2] !== 1) {
    throw new ProtocolError('malformed', 'identity: RSA key must be 3072 bits with exponent 65537');
  }
  // Re-export and compare so only one SPKI spelling of each key is accepted (WIRE2).
  const spki = new Uint8Array(await subtle().exportKey('spki', encryptionKey));
  if (toBase64Url(spki) !== pub.encryptionKey) throw new ProtocolError('malformed', 'identity: non-canonical SPKI');
  return { pub, encryptionKey, signingKey, fingerprint: await fingerprint(pub) };
}

function identityFields(pub: PublicIdentity): (string | number | Uint8Array)[] {
  const enc = fromBase64Url(pub.encryptionKey);
  const sig = fromBase64Url(pub.signingKey);
  if (sig.length !== ED25519_KEY_BYTES) throw new ProtocolError('malformed', 'identity: signing key size');
  return [pub.v, pub.userId, enc, sig];
}

/** SN1 (M3): hex SHA-256 over (purpose, version, userId, SPKI, Ed25519 key), length-prefixed. */
export async function fingerprint(pub: PublicIdentity): Promise<string> {
  return toHex(await sha256(canonical(PURPOSE.fingerprint, identityFields(pub))));
}

const SAFETY_ITERATIONS = 5200;

/**
 * Signal's construction: iterate SHA-512 over the identity, keep 30 bytes. WebCrypto's
 * SHA-512, one digest per iteration: a few tenths of a second, on demand and off the main
 * thread's hot path, and no hashing code to ship for it (it used to be a 6 KB WebAssembly).
 */
async function safetyHalf(pub: PublicIdentity): Promise<Uint8Array> {
  const input = canonical(PURPOSE.safetyNumber, identityFields(pub));
  // One buffer, previous digest then input: SHA-512(d || input) each round.
  const round = new Uint8Array(64 + input.length);
  round.set(input, 64);
  let d = new Uint8Array(await subtle().digest('SHA-512', buf(input)));
  for (let i = 0; i < SAFETY_ITERATIONS; i++) {
    round.set(d, 0);
    d = new Uint8Array(await subtle().digest('SHA-512', round));
  }
  return d.slice(0, 30);
}

function digits30(d: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    // 40-bit big-endian chunk; multiplication keeps it exact in a double.
    const n = d[i]! * 2 ** 32 + ((d[i + 1]! << 24) >>> 0) + (d[i + 2]! << 16) + (d[i + 3]! << 8) + d[i + 4]!;
    out += String(n % 100000).padStart(5, '0');
  }
  return out;
}

/**
 * SN2, SN3 (M2, M3): 60 digits, each user's 30-digit half computed from their own
 * identity, halves ordered by userId so both sides show the same number.
 */
export async function safetyNumber(a: PublicIdentity, b: PublicIdentity): Promise<{ digits: string; qrPayload: string }> {
  const pa = parsePublicIdentity(a);
  const pb = parsePublicIdentity(b);
  if (pa.userId === pb.userId) throw new ProtocolError('malformed', 'safety number needs two different users');
  const [lo, hi] = pa.userId < pb.userId ? [pa, pb] : [pb, pa];
  const [hLo, hHi] = await Promise.all([safetyHalf(lo), safetyHalf(hi)]);
  const digits = digits30(hLo) + digits30(hHi);
  const qrPayload = 'MHSN1.' + toBase64Url(canonical(PURPOSE.safetyQr, [lo.userId, hLo, hi.userId, hHi]));
  return { digits, qrPayload };
}

function registrationInput(pub: PublicIdentity): Uint8Array {
  return canonical(PURPOSE.register, identityFields(pub));
}

/** KEY5: proof of possession of the signing key, bound to the whole public identity. */
export async function signRegistration(identity: Identity): Promise<string> {
  const s = await subtle().sign(ED25519, identity.signing.privateKey, buf(registrationInput(identity.public)));
  return toBase64Url(new Uint8Array(s));
}

/** Never throws: anything unparsable is simply not a valid proof. */
export async function verifyRegistration(pub: PublicIdentity, proof: string): Promise<boolean> {
  try {
    const imported = await importPublicIdentity(pub);
    const sig = fromBase64Url(proof);
    if (sig.length !== 64) return false;
    return await subtle().verify(ED25519, imported.signingKey, buf(sig), buf(registrationInput(imported.pub)));
  } catch {
    return false;
  }
}

/**
 * The key this client pinned for `userId` (M2: only the pinned key counts), imported; null
 * when none is pinned, it does not import, or it names someone else.
 */
export async function pinnedIdentity(
  resolve: (userId: string) => PublicIdentity | ImportedIdentity | undefined,
  userId: string,
): Promise<ImportedIdentity | null> {
  const pinned = resolve(userId);
  if (pinned === undefined) return null;
  let imported: ImportedIdentity;
  try {
    imported = await asImported(pinned);
  } catch {
    return null;
  }
  return imported.pub.userId === userId ? imported : null;
}

/** Accepts either form a client may keep for a pinned contact. */
export async function asImported(x: PublicIdentity | ImportedIdentity): Promise<ImportedIdentity> {
  if ('pub' in x && 'signingKey' in x && typeof x.signingKey !== 'string') return x;
  return importPublicIdentity(x as PublicIdentity);
}
