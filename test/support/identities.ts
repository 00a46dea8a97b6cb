// Test identities, one loader for every suite (sync-service tests, test/hardening, bench,
// e2e seeders). Eight fixed key sets live in fixtures/identities.json (made once by
// make-identities.ts): importing one takes milliseconds, where generating an RSA-3072
// pair takes up to a second and a key file's Argon2id much more. Any fixture's keys can
// be used under any user id. These keys protect nothing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fromBase64Url, importIdentityKeys, signRegistration, toBase64Url, type Identity, type PublicIdentity,
} from '../../protocol/src/index.ts';

export const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory', 'trent', 'victor'] as const;
export type Name = (typeof NAMES)[number];

/** The stored form of one key set (base64url). */
export interface StoredKeys { encryptionSpki: string; encryptionPkcs8: string; signingRaw: string; signingPkcs8: string }

export const FIXTURE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/identities.json');
let stored: Record<Name, StoredKeys> | undefined;
const keysOf = (name: Name): StoredKeys => (stored ??= JSON.parse(readFileSync(FIXTURE_FILE, 'utf8')) as Record<Name, StoredKeys>)[name];

/** The public identity of fixture `keys` under the user id `userId` (any valid id). */
export function publicOf(keys: Name, userId: string = keys): PublicIdentity {
  const m = keysOf(keys);
  return { v: 1, userId, encryptionKey: m.encryptionSpki, signingKey: m.signingRaw };
}

/** A full identity (non-extractable private keys, KEY3 self-test) for fixture `keys` under `userId`. */
export function identity(keys: Name, userId: string = keys): Promise<Identity> {
  const m = keysOf(keys);
  return importIdentityKeys(publicOf(keys, userId), fromBase64Url(m.encryptionPkcs8), fromBase64Url(m.signingPkcs8));
}

/** Every fixture identity under its own name. */
export async function identities(): Promise<Record<Name, Identity>> {
  const out = {} as Record<Name, Identity>;
  for (const name of NAMES) out[name] = await identity(name);
  return out;
}

/** The private keys as PKCS#8 bytes, for writing key files in tests. */
export function secretsOf(keys: Name, userId: string = keys): { pub: PublicIdentity; encryptionPkcs8: Uint8Array; signingPkcs8: Uint8Array } {
  const m = keysOf(keys);
  return { pub: publicOf(keys, userId), encryptionPkcs8: fromBase64Url(m.encryptionPkcs8), signingPkcs8: fromBase64Url(m.signingPkcs8) };
}

/** The body of POST /api/v1/users for `id`. */
export async function registration(id: Identity, userName: string = id.userId) {
  return { userName, identity: id.public, proof: await signRegistration(id) };
}

/**
 * An identity that claims `victim`'s name and public keys but holds `forger`'s private
 * keys: what a server or a member would need to forge in someone else's name.
 */
export function impostor(victim: Identity, forger: Identity): Identity {
  return { userId: victim.userId, public: victim.public, encryption: forger.encryption, signing: forger.signing };
}

// ---- new keys, for the few places that need more key sets than the fixture has ----------

const subtle = globalThis.crypto.subtle;

/** A new RSA-OAEP-3072 + Ed25519 key set, exported (slow: use only where the fixture's eight are too few). */
export async function newKeys(): Promise<StoredKeys> {
  const enc = await subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
  const sig = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const b64 = async (format: 'spki' | 'pkcs8' | 'raw', key: CryptoKey) => toBase64Url(new Uint8Array(await subtle.exportKey(format, key)));
  return {
    encryptionSpki: await b64('spki', enc.publicKey),
    encryptionPkcs8: await b64('pkcs8', enc.privateKey),
    signingRaw: await b64('raw', sig.publicKey),
    signingPkcs8: await b64('pkcs8', sig.privateKey),
  };
}
