// Identities for benchmarks, made with the real protocol. Generating an RSA-3072 pair
// costs ~0.1–1 s, so load benchmarks draw key material from a small pool; every user
// still has their own userId, registration proof and login.
import { importIdentityKeys, toBase64Url, writeKeyFile, type Identity, type PublicIdentity } from '../../protocol/src/index.ts';

const subtle = globalThis.crypto.subtle;

export interface KeyMaterial {
  encryptionKey: string;
  signingKey: string;
  encryptionPkcs8: Uint8Array;
  signingPkcs8: Uint8Array;
}

export async function newKeyMaterial(): Promise<KeyMaterial> {
  const enc = await subtle.generateKey(
    { name: 'RSA-OAEP', modulusLength: 3072, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt'],
  );
  const sig = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
  return {
    encryptionKey: toBase64Url(new Uint8Array(await subtle.exportKey('spki', enc.publicKey))),
    signingKey: toBase64Url(new Uint8Array(await subtle.exportKey('raw', sig.publicKey))),
    encryptionPkcs8: new Uint8Array(await subtle.exportKey('pkcs8', enc.privateKey)),
    signingPkcs8: new Uint8Array(await subtle.exportKey('pkcs8', sig.privateKey)),
  };
}

export function publicIdentity(userId: string, k: KeyMaterial): PublicIdentity {
  return { v: 1, userId, encryptionKey: k.encryptionKey, signingKey: k.signingKey };
}

/** A non-extractable Identity for userId over the given key material (KEY3 self-test included). */
export function identityFrom(userId: string, k: KeyMaterial): Promise<Identity> {
  return importIdentityKeys(publicIdentity(userId, k), k.encryptionPkcs8, k.signingPkcs8);
}

/** The key file a user would have saved (Argon2id at the protocol's defaults). */
export function keyFileFor(userId: string, k: KeyMaterial, passphrase: string): Promise<string> {
  return writeKeyFile({ pub: publicIdentity(userId, k), encryptionPkcs8: k.encryptionPkcs8, signingPkcs8: k.signingPkcs8 }, passphrase);
}

/** Generated once per run and shared by the benchmarks that need many users (keygen is the slow part of seeding). */
const pool: Promise<KeyMaterial>[] = [];

export async function keyPool(n: number): Promise<KeyMaterial[]> {
  while (pool.length < n) pool.push(newKeyMaterial());
  return Promise.all(pool.slice(0, n));
}

/** A run-unique, valid userId ("^[a-z0-9][a-z0-9._-]{1,30}[a-z0-9]$"). */
export function userIdFor(prefix: string, i: number, run: string): string {
  return `${prefix}${i}-${run}`.slice(0, 32);
}

export function runTag(): string {
  return Math.random().toString(36).slice(2, 8);
}
