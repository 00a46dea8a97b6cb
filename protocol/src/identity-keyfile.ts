// Identities made or opened with a key file (KEY1..KEY3, KF1..KF8): the half of identity.ts
// that needs the key-file format and Argon2id, and the private keys' import (KEY3). A module
// of its own so that an app that only reads and sends messages does not ship the key-file
// code in its start bundle.
import { ProtocolError, buf, canonical, equalBytes, randomBytes, toBase64Url } from './encoding.ts';
import { importPublicIdentity, type Identity } from './identity.ts';
import type { KdfParams } from './kdf.ts';
import { KeyFileError, readKeyFile, writeKeyFile } from './keyfile.ts';
import { PURPOSE } from './purpose.ts';
import { RSA_BITS } from './rules.ts';
import type { PublicIdentity } from './types.ts';
import { checkId } from './wire.ts';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const RSA_GEN: RsaHashedKeyGenParams = { name: 'RSA-OAEP', modulusLength: RSA_BITS, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
const ED25519 = { name: 'Ed25519' } as const;
const RSA_IMPORT: RsaHashedImportParams = { name: 'RSA-OAEP', hash: 'SHA-256' };

/**
 * KEY3: builds an Identity from PKCS#8 private keys, non-extractable, and proves
 * they match the public identity (a sign/verify and an encrypt/decrypt round),
 * so a key file can never pair someone's public keys with other private keys.
 */
export async function importIdentityKeys(pubIn: PublicIdentity, encryptionPkcs8: Uint8Array, signingPkcs8: Uint8Array): Promise<Identity> {
  const { pub, encryptionKey, signingKey } = await importPublicIdentity(pubIn);
  let encPriv: CryptoKey;
  let sigPriv: CryptoKey;
  try {
    encPriv = await subtle().importKey('pkcs8', buf(encryptionPkcs8), RSA_IMPORT, false, ['decrypt']);
    sigPriv = await subtle().importKey('pkcs8', buf(signingPkcs8), ED25519, false, ['sign']);
  } catch {
    throw new ProtocolError('malformed', 'private keys do not import');
  }
  const probe = canonical(PURPOSE.keyFileSelfTest, [randomBytes(32)]);
  const secret = randomBytes(32);
  let matches: boolean;
  try {
    const s = await subtle().sign(ED25519, sigPriv, buf(probe));
    const wrapped = await subtle().encrypt({ name: 'RSA-OAEP', label: buf(probe) }, encryptionKey, buf(secret));
    const back = new Uint8Array(await subtle().decrypt({ name: 'RSA-OAEP', label: buf(probe) }, encPriv, wrapped));
    matches = (await subtle().verify(ED25519, signingKey, s, buf(probe))) && equalBytes(back, secret);
  } catch {
    matches = false; // an RSA decryption under the wrong private key fails rather than returning garbage
  }
  if (!matches) throw new ProtocolError('key-mismatch', 'private keys do not belong to this public identity');
  return {
    userId: pub.userId,
    public: pub,
    encryption: { publicKey: encryptionKey, privateKey: encPriv },
    signing: { publicKey: signingKey, privateKey: sigPriv },
  };
}

export type CreateProgress = (stage: 'keys' | 'kdf' | 'sealing', fraction: number) => void;

/**
 * KEY1, KEY2: generate both pairs, seal the private halves into a key file,
 * then re-import them non-extractable so the returned identity cannot leak them.
 */
export async function createIdentity(
  userId: string,
  passphrase: string,
  opts: { kdf?: Partial<KdfParams>; onProgress?: CreateProgress } = {},
): Promise<{ identity: Identity; keyFile: string }> {
  checkId(userId, 'userId');
  const progress = opts.onProgress ?? (() => {});
  progress('keys', 0);
  const enc = await subtle().generateKey(RSA_GEN, true, ['encrypt', 'decrypt']);
  progress('keys', 0.8);
  const sig = (await subtle().generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
  progress('keys', 1);
  const pub: PublicIdentity = {
    v: 1,
    userId,
    encryptionKey: toBase64Url(new Uint8Array(await subtle().exportKey('spki', enc.publicKey))),
    signingKey: toBase64Url(new Uint8Array(await subtle().exportKey('raw', sig.publicKey))),
  };
  const encryptionPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', enc.privateKey));
  const signingPkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', sig.privateKey));
  try {
    progress('kdf', 0);
    const keyFile = await writeKeyFile({ pub, encryptionPkcs8, signingPkcs8 }, passphrase, opts.kdf);
    progress('sealing', 0.5);
    const identity = await importIdentityKeys(pub, encryptionPkcs8, signingPkcs8);
    progress('sealing', 1);
    return { identity, keyFile };
  } finally {
    // Best effort: the extractable CryptoKeys go out of scope here and the
    // exported bytes are overwritten, so only the key file keeps them.
    encryptionPkcs8.fill(0);
    signingPkcs8.fill(0);
  }
}

/** KF1..KF8: open a key file; every failure is a KeyFileError with one of four codes. */
export async function importKeyFile(keyFileText: string, passphrase: string): Promise<Identity> {
  const secrets = await readKeyFile(keyFileText, passphrase);
  try {
    return await importIdentityKeys(secrets.pub, secrets.encryptionPkcs8, secrets.signingPkcs8);
  } catch (e) {
    if (e instanceof KeyFileError) throw e;
    // Authenticated under the passphrase yet unusable: a broken writer, not an attacker
    // without the passphrase. Still one plain error, nothing derived from the keys.
    throw new KeyFileError('damaged', 'key file is damaged: keys are unusable');
  } finally {
    secrets.encryptionPkcs8.fill(0);
    secrets.signingPkcs8.fill(0);
  }
}
