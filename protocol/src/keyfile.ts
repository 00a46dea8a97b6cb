// The key file (KF1..KF8): the only place private keys ever exist outside a
// non-extractable CryptoKey, and only as AES-256-GCM ciphertext under an
// Argon2id key. Its header is authenticated, its size depends only on the keys,
// and its four failure modes are named without revealing anything else.
import { ProtocolError, buf, canonical, equalBytes, fromBase64Url, randomBytes, sha256, toBase64Url } from './encoding.ts';
import { KDF_DEFAULTS, KDF_SALT_BYTES, deriveKeyFileKey, kdfParamsAcceptable, type KdfParams } from './kdf.ts';
import { PURPOSE } from './purpose.ts';
import { IV_BYTES, TAG_BYTES } from './rules.ts';
import type { PublicIdentity } from './types.ts';
import { isRecord, parsePublicIdentity } from './wire.ts';

export const KEYFILE_FORMAT = 'messagehub-keyfile';
export const KEYFILE_VERSION = 1;
/**
 * KF6 (T7): fixed plaintext size. A 3072-bit RSA PKCS#8 key is about 1.8 KiB and
 * varies by a few bytes with leading zeros; an Ed25519 one is 48 bytes. Padding
 * to one size makes the file's length independent of those accidents.
 */
export const KEYFILE_PAYLOAD_BYTES = 2560;

export type KeyFileErrorCode = 'wrong-passphrase' | 'damaged' | 'not-a-key-file' | 'unsupported-version';

export class KeyFileError extends Error {
  public code: KeyFileErrorCode;
  constructor(code: KeyFileErrorCode, message: string) {
    super(message);
    this.name = 'KeyFileError';
    this.code = code;
  }
}

export interface KeyFileJson {
  format: typeof KEYFILE_FORMAT;
  version: 1;
  kdf: KdfParams & { salt: string };
  userId: string;
  public: PublicIdentity;
  iv: string;
  ciphertext: string;
  checksum: string;
}

export interface KeyFileSecrets {
  pub: PublicIdentity;
  encryptionPkcs8: Uint8Array;
  signingPkcs8: Uint8Array;
}

/** KF2: every header field, in a fixed order, is the AES-GCM additional data. */
function headerAad(f: Omit<KeyFileJson, 'ciphertext' | 'checksum'>): Uint8Array {
  return canonical(PURPOSE.keyFile, [
    f.format, f.version, f.kdf.alg, f.kdf.memoryKiB, f.kdf.passes, f.kdf.parallelism, fromBase64Url(f.kdf.salt),
    f.userId, f.public.v, f.public.userId, fromBase64Url(f.public.encryptionKey), fromBase64Url(f.public.signingKey),
    fromBase64Url(f.iv),
  ]);
}

/**
 * The checksum a writer would put in `file`, exported so tests (and tools) can
 * show that a recomputed checksum still does not get past AES-GCM.
 */
export async function keyFileChecksum(file: Omit<KeyFileJson, 'checksum'>): Promise<string> {
  return checksumOf(headerAad(file), fromBase64Url(file.ciphertext));
}

async function checksumOf(aad: Uint8Array, ciphertext: Uint8Array): Promise<string> {
  return toBase64Url(await sha256(canonical(PURPOSE.keyFileChecksum, [aad, ciphertext])));
}

function encodePayload(encryptionPkcs8: Uint8Array, signingPkcs8: Uint8Array): Uint8Array {
  const inner = canonical(PURPOSE.keyFilePayload, [encryptionPkcs8, signingPkcs8]);
  if (inner.length + 4 > KEYFILE_PAYLOAD_BYTES) throw new ProtocolError('too-large', 'key file: keys too large');
  const out = new Uint8Array(KEYFILE_PAYLOAD_BYTES);
  new DataView(out.buffer).setUint32(0, inner.length);
  out.set(inner, 4);
  return out;
}

function decodePayload(p: Uint8Array): { encryptionPkcs8: Uint8Array; signingPkcs8: Uint8Array } {
  const bad = (): never => {
    throw new KeyFileError('damaged', 'key file: payload is not well formed');
  };
  if (p.length !== KEYFILE_PAYLOAD_BYTES) bad();
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const n = view.getUint32(0);
  if (n > p.length - 4) bad();
  for (let i = 4 + n; i < p.length; i++) if (p[i] !== 0) bad();
  const inner = p.subarray(4, 4 + n);
  // Re-encoding and comparing is the simplest exact parser for a two-field record.
  const iv = new DataView(inner.buffer, inner.byteOffset, inner.byteLength);
  const purposeLen = 4 + PURPOSE.keyFilePayload.length + 4;
  if (inner.length < purposeLen + 10) bad();
  let o = purposeLen;
  const fields: Uint8Array[] = [];
  for (let k = 0; k < 2; k++) {
    if (o + 5 > inner.length || inner[o] !== 1) bad();
    const len = iv.getUint32(o + 1);
    if (o + 5 + len > inner.length) bad();
    fields.push(inner.slice(o + 5, o + 5 + len));
    o += 5 + len;
  }
  const [encryptionPkcs8, signingPkcs8] = fields as [Uint8Array, Uint8Array];
  if (!equalBytes(canonical(PURPOSE.keyFilePayload, [encryptionPkcs8, signingPkcs8]), inner)) bad();
  return { encryptionPkcs8, signingPkcs8 };
}

export async function writeKeyFile(
  secrets: KeyFileSecrets,
  passphrase: string,
  kdf: Partial<KdfParams> = {},
  onKdf?: () => void,
): Promise<string> {
  const params: KdfParams = { ...KDF_DEFAULTS, ...kdf };
  if (!kdfParamsAcceptable(params)) {
    throw new ProtocolError('malformed', 'key file: KDF parameters below the floor or above the ceiling');
  }
  const salt = randomBytes(KDF_SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const header: Omit<KeyFileJson, 'ciphertext' | 'checksum'> = {
    format: KEYFILE_FORMAT,
    version: 1,
    kdf: { alg: 'argon2id', memoryKiB: params.memoryKiB, passes: params.passes, parallelism: params.parallelism, salt: toBase64Url(salt) },
    userId: secrets.pub.userId,
    public: { v: 1, userId: secrets.pub.userId, encryptionKey: secrets.pub.encryptionKey, signingKey: secrets.pub.signingKey },
    iv: toBase64Url(iv),
  };
  onKdf?.();
  const key = await deriveKeyFileKey(passphrase, salt, params);
  const aad = headerAad(header);
  const payload = encodePayload(secrets.encryptionPkcs8, secrets.signingPkcs8);
  try {
    const ct = new Uint8Array(
      await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, key, buf(payload)),
    );
    const file: KeyFileJson = { ...header, ciphertext: toBase64Url(ct), checksum: await checksumOf(aad, ct) };
    return JSON.stringify(file, null, 2);
  } finally {
    payload.fill(0);
  }
}

const KEYFILE_KEYS = ['format', 'version', 'kdf', 'userId', 'public', 'iv', 'ciphertext', 'checksum'];
const KDF_KEYS = ['alg', 'memoryKiB', 'passes', 'parallelism', 'salt'];

function exact(o: Record<string, unknown>, keys: string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(o, k));
}

/**
 * KF7: classify cheaply, then decrypt. Order: JSON and format ('not-a-key-file'; a text
 * that opens like a key file but is not whole JSON is one cut short: 'damaged'),
 * version ('unsupported-version'), shape and checksum ('damaged', before any
 * Argon2id run), KDF floor ('damaged'), then AES-GCM, whose failure is always the
 * single 'wrong-passphrase' error (G1): the checksum can be recomputed by anyone,
 * so it only sorts accidents; GCM is the authority.
 */
export async function readKeyFile(text: string, passphrase: string): Promise<KeyFileSecrets> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // A key file cut short (a partial download or copy) still names its format: damaged.
    if (/^\s*\{\s*"format"\s*:\s*"messagehub-keyfile"/.test(text)) throw new KeyFileError('damaged', 'key file is damaged: cut short');
    throw new KeyFileError('not-a-key-file', 'not a MessageHub key file (not JSON)');
  }
  if (!isRecord(json) || json.format !== KEYFILE_FORMAT) {
    throw new KeyFileError('not-a-key-file', 'not a MessageHub key file');
  }
  if (json.version !== KEYFILE_VERSION) {
    throw new KeyFileError('unsupported-version', `key file version ${String(json.version)} is not supported`);
  }
  const damaged = (why: string): never => {
    throw new KeyFileError('damaged', `key file is damaged: ${why}`);
  };
  if (!exact(json, KEYFILE_KEYS)) damaged('unexpected fields');
  const kdf = json.kdf;
  if (!isRecord(kdf) || !exact(kdf, KDF_KEYS)) damaged('kdf');
  const k = kdf as Record<string, unknown>;
  if (k.alg !== 'argon2id') damaged('kdf algorithm');
  for (const n of ['memoryKiB', 'passes', 'parallelism'] as const) {
    if (typeof k[n] !== 'number' || !Number.isSafeInteger(k[n]) || (k[n] as number) < 0) damaged(`kdf.${n}`);
  }
  let pub: PublicIdentity;
  let salt: Uint8Array;
  let iv: Uint8Array;
  let ct: Uint8Array;
  try {
    pub = parsePublicIdentity(json.public);
    salt = fromBase64Url(k.salt as string);
    iv = fromBase64Url(json.iv as string);
    ct = fromBase64Url(json.ciphertext as string);
    if (typeof json.checksum !== 'string') throw new Error('checksum');
  } catch {
    return damaged('unreadable field');
  }
  if (json.userId !== pub.userId) damaged('user id does not match the public identity');
  if (salt.length !== KDF_SALT_BYTES || iv.length !== IV_BYTES || ct.length !== KEYFILE_PAYLOAD_BYTES + TAG_BYTES) damaged('field sizes');
  const params: KdfParams = { alg: 'argon2id', memoryKiB: k.memoryKiB as number, passes: k.passes as number, parallelism: k.parallelism as number };
  const header: Omit<KeyFileJson, 'ciphertext' | 'checksum'> = {
    format: KEYFILE_FORMAT, version: 1, kdf: { ...params, salt: k.salt as string }, userId: pub.userId,
    public: pub, iv: json.iv as string,
  };
  const aad = headerAad(header);
  if ((await checksumOf(aad, ct)) !== json.checksum) damaged('checksum mismatch');
  if (!kdfParamsAcceptable(params)) damaged('KDF parameters below the floor (refused) or above the ceiling');
  const key = await deriveKeyFileKey(passphrase, salt, params);
  let payload: Uint8Array;
  try {
    payload = new Uint8Array(
      await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, key, buf(ct)),
    );
  } catch {
    throw new KeyFileError('wrong-passphrase', 'wrong passphrase, or the key file was altered');
  }
  try {
    const { encryptionPkcs8, signingPkcs8 } = decodePayload(payload);
    return { pub, encryptionPkcs8, signingPkcs8 };
  } finally {
    payload.fill(0);
  }
}
