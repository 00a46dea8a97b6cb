// Identities for benchmarks, made with the real protocol. Generating an RSA-3072 pair
// costs ~0.1–1 s, so load benchmarks draw key material from a small pool that starts with
// the eight fixture key sets (test/support/identities.ts); every user still has their own
// userId, registration proof and login.
import { fromBase64Url, importIdentityKeys, writeKeyFile, type Identity, type PublicIdentity } from '../../protocol/src/index.ts';
import { NAMES, newKeys, secretsOf, type StoredKeys } from '../../test/support/identities.ts';

export interface KeyMaterial {
  encryptionKey: string;
  signingKey: string;
  encryptionPkcs8: Uint8Array;
  signingPkcs8: Uint8Array;
}

function material(k: StoredKeys): KeyMaterial {
  return { encryptionKey: k.encryptionSpki, signingKey: k.signingRaw, encryptionPkcs8: fromBase64Url(k.encryptionPkcs8), signingPkcs8: fromBase64Url(k.signingPkcs8) };
}

export async function newKeyMaterial(): Promise<KeyMaterial> {
  return material(await newKeys());
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
const pool: Promise<KeyMaterial>[] = NAMES.map((name) => {
  const { pub, encryptionPkcs8, signingPkcs8 } = secretsOf(name);
  return Promise.resolve({ encryptionKey: pub.encryptionKey, signingKey: pub.signingKey, encryptionPkcs8, signingPkcs8 });
});

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
