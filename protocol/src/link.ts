// Linking a device from another device (LINK1..LINK6): the new device shows a short code
// (and a QR code of it); the user types or scans it on a device that already holds the
// account; that device seals what the new one needs (the key file as sealed under the
// passphrase, and the account it belongs to) to the new device's ephemeral ECDH P-256 key,
// under a key bound to both ephemeral keys and to the whole code. The service only relays
// the public key and the ciphertext. Pure: WebCrypto only, no I/O.
import { buf, canonical, fromBase64Url, randomBytes, sha256, toBase64Url, utf8 } from './encoding.ts';
import { fingerprint } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { checkHash, checkId, checkInt, parsePublicIdentity } from './wire.ts';

/** LINK1: Crockford base32 (no I, L, O, U). */
export const LINK_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** LINK1: characters of each part: the locator, the secret, the check. */
export const LINK_PART_CHARS = 4;
export const LINK_CODE_CHARS = 3 * LINK_PART_CHARS;
/** LINK4: the largest sealed key file a handover carries (one is ~1.6 KB). */
export const MAX_LINK_KEYFILE_CHARS = 16_384;
/** LINK1: what a QR code of a link code holds: this prefix, then the 12 characters. */
export const LINK_QR_PREFIX = 'MESSAGEHUB-LINK:';

export type LinkErrorCode = 'malformed-code' | 'code-mismatch' | 'malformed';

/** Why a link step refused: a code that is not one, a code that does not match, a bad record. */
export class LinkError extends Error {
  readonly code: LinkErrorCode;
  constructor(code: LinkErrorCode, message: string) {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

/** LINK4: what the existing device hands over, sealed (LINK3). */
export interface LinkHandover {
  v: 1;
  type: 'link-handover';
  userId: string;
  /** SN1 fingerprint of the account key the key file holds. */
  accountFingerprint: string;
  /** The key file exactly as sealed under the passphrase (KF1): the user types the passphrase on the new device. */
  keyFile: string;
  createdAt: number;
}

/** LINK3: the sealed handover as the service relays it. */
export interface SealedHandover {
  v: 1;
  /** The existing device's ephemeral ECDH P-256 public key, raw uncompressed, base64url. */
  publicKey: string;
  iv: string;
  ciphertext: string;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const POINT_BYTES = 65;

/** LINK1: 20 bits as four Crockford characters, most significant first. */
function chars20(n: number): string {
  let s = '';
  for (let i = 3; i >= 0; i--) s += LINK_ALPHABET[(n >>> (i * 5)) & 31];
  return s;
}

/**
 * LINK1: a typed or scanned code in its one spelling: the QR prefix, spaces and dashes
 * dropped, upper case, O read as 0 and I, L as 1; then exactly 12 Crockford characters.
 * Throws LinkError('malformed-code').
 */
export function normalizeLinkCode(input: string): string {
  let s = input.trim().toUpperCase();
  if (s.startsWith(LINK_QR_PREFIX)) s = s.slice(LINK_QR_PREFIX.length);
  s = s.replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length !== LINK_CODE_CHARS || [...s].some((c) => !LINK_ALPHABET.includes(c))) {
    throw new LinkError('malformed-code', `a link code is ${LINK_CODE_CHARS} letters and digits`);
  }
  return s;
}

/** LINK1: the code as shown: three groups of four. */
export function formatLinkCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}`;
}

/** LINK1: the locator part, which the service knows (it names the slot). */
export function linkLocator(code: string): string {
  return normalizeLinkCode(code).slice(0, LINK_PART_CHARS);
}

/** LINK1: is this a locator (four Crockford characters)? */
export function isLinkLocator(s: unknown): s is string {
  return typeof s === 'string' && s.length === LINK_PART_CHARS && [...s].every((c) => LINK_ALPHABET.includes(c));
}

function publicKeyBytes(publicKey: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = fromBase64Url(publicKey);
  } catch {
    throw new LinkError('malformed', 'link: the public key is not base64url');
  }
  if (raw.length !== POINT_BYTES || raw[0] !== 4) throw new LinkError('malformed', 'link: the public key is not an uncompressed P-256 point');
  return raw;
}

async function importPublic(publicKey: string): Promise<CryptoKey> {
  try {
    return await subtle().importKey('raw', buf(publicKeyBytes(publicKey)), ECDH, false, []);
  } catch (e) {
    if (e instanceof LinkError) throw e;
    throw new LinkError('malformed', 'link: the public key is not on the curve');
  }
}

/** LINK2: an ephemeral ECDH P-256 key pair, private half non-extractable, public half raw base64url. */
export async function newLinkKey(): Promise<{ keyPair: CryptoKeyPair; publicKey: string }> {
  const keyPair = (await subtle().generateKey(ECDH, false, ['deriveBits'])) as CryptoKeyPair;
  const publicKey = toBase64Url(new Uint8Array(await subtle().exportKey('raw', keyPair.publicKey)));
  return { keyPair, publicKey };
}

/**
 * LINK2: the four check characters: the first 20 bits of SHA-256 of
 * canonical("MessageHub-link-check-v1", [locator, secret, new device's public key bytes]).
 */
export async function linkCheck(locator: string, secret: string, publicKey: string): Promise<string> {
  const h = await sha256(canonical(PURPOSE.linkCheck, [locator, secret, publicKeyBytes(publicKey)]));
  return chars20(((h[0]! << 12) | (h[1]! << 4) | (h[2]! >>> 4)) >>> 0);
}

/**
 * LINK1, LINK2: the code the new device shows for the slot the service named `locator`:
 * locator, a fresh random secret (never sent to the service), and the check binding its key.
 */
export async function makeLinkCode(locator: string, publicKey: string): Promise<string> {
  if (!isLinkLocator(locator)) throw new LinkError('malformed', 'link: the service named a bad locator');
  const r = randomBytes(3);
  const secret = chars20(((r[0]! << 12) | (r[1]! << 4) | (r[2]! >>> 4)) >>> 0);
  return locator + secret + (await linkCheck(locator, secret, publicKey));
}

/**
 * LINK2: on the existing device, before anything is sealed: does the public key the
 * service gave for this code's slot match the code's check? Throws
 * LinkError('code-mismatch') if not (a mistyped code, or a substituted key).
 */
export async function verifyLinkKey(codeIn: string, publicKey: string): Promise<void> {
  const code = normalizeLinkCode(codeIn);
  const l = code.slice(0, 4);
  const expected = await linkCheck(l, code.slice(4, 8), publicKey);
  if (expected !== code.slice(8, 12)) throw new LinkError('code-mismatch', 'the code does not match the device that made it');
}

/** LINK3: AES-256-GCM key from ECDH, HKDF-SHA256 with the code as salt and both keys as info. */
async function linkKey(own: CryptoKey, peer: string, code: string, newPub: string, oldPub: string): Promise<CryptoKey> {
  const shared = await subtle().deriveBits({ name: 'ECDH', public: await importPublic(peer) }, own, 256);
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const salt = await sha256(canonical(PURPOSE.linkSalt, [code]));
  const info = canonical(PURPOSE.linkKey, [code.slice(0, 4), publicKeyBytes(newPub), publicKeyBytes(oldPub)]);
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

/** LINK3: the AAD: version, locator and both public keys. */
export function linkAad(code: string, newPub: string, oldPub: string): Uint8Array {
  return canonical(PURPOSE.linkAad, [1, code.slice(0, 4), publicKeyBytes(newPub), publicKeyBytes(oldPub)]);
}

/** LINK4: strict shape; the key file names this user and this account key. Throws LinkError('malformed'). */
export async function parseHandover(x: unknown): Promise<LinkHandover> {
  const bad = (why: string): never => {
    throw new LinkError('malformed', `link handover: ${why}`);
  };
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return bad('not an object');
  const o = x as Record<string, unknown>;
  const keys = ['v', 'type', 'userId', 'accountFingerprint', 'keyFile', 'createdAt'];
  if (Object.keys(o).length !== keys.length || !keys.every((k) => Object.prototype.hasOwnProperty.call(o, k))) bad('unexpected fields');
  if (o.v !== 1 || o.type !== 'link-handover') bad('version or type');
  let h: LinkHandover;
  try {
    h = {
      v: 1, type: 'link-handover', userId: checkId(o.userId, 'handover.userId'), accountFingerprint: checkHash(o.accountFingerprint, 'handover.accountFingerprint'),
      keyFile: typeof o.keyFile === 'string' && o.keyFile.length <= MAX_LINK_KEYFILE_CHARS ? o.keyFile : bad('key file'),
      createdAt: checkInt(o.createdAt, 0, Number.MAX_SAFE_INTEGER, 'handover.createdAt'),
    };
  } catch (e) {
    if (e instanceof LinkError) throw e;
    return bad('field');
  }
  let named: string;
  try {
    const pub = parsePublicIdentity((JSON.parse(h.keyFile) as { public: unknown }).public);
    if (pub.userId !== h.userId) bad('the key file is of another user');
    named = await fingerprint(pub);
  } catch (e) {
    if (e instanceof LinkError) throw e;
    return bad('the key file has no readable public identity');
  }
  if (named !== h.accountFingerprint) bad('the key file holds another account key');
  return h;
}

/**
 * LINK2, LINK3: on the existing device: check the slot's key against the code, then seal
 * the handover to it with a fresh ephemeral key of its own.
 */
export async function sealHandover(codeIn: string, newDevicePublicKey: string, handover: LinkHandover): Promise<SealedHandover> {
  const code = normalizeLinkCode(codeIn);
  await verifyLinkKey(code, newDevicePublicKey);
  const body = await parseHandover(handover);
  const mine = await newLinkKey();
  const key = await linkKey(mine.keyPair.privateKey, newDevicePublicKey, code, newDevicePublicKey, mine.publicKey);
  const iv = randomBytes(12);
  const ct = await subtle().encrypt(
    { name: 'AES-GCM', iv: buf(iv), additionalData: buf(linkAad(code, newDevicePublicKey, mine.publicKey)) }, key, buf(utf8(JSON.stringify(body))),
  );
  return { v: 1, publicKey: mine.publicKey, iv: toBase64Url(iv), ciphertext: toBase64Url(new Uint8Array(ct)) };
}

/**
 * LINK3, LINK4: on the new device: open the handover sealed for its own key and code.
 * Anything that does not open (another code, another slot's key, a changed byte) is
 * LinkError('code-mismatch'); a bad shape inside is 'malformed'.
 */
export async function openHandover(codeIn: string, own: { keyPair: CryptoKeyPair; publicKey: string }, sealedIn: unknown): Promise<LinkHandover> {
  const code = normalizeLinkCode(codeIn);
  const s = sealedIn as Partial<SealedHandover> | null;
  if (typeof s !== 'object' || s === null || s.v !== 1 || typeof s.publicKey !== 'string' || typeof s.iv !== 'string' || typeof s.ciphertext !== 'string') {
    throw new LinkError('malformed', 'link: not a sealed handover');
  }
  let iv: Uint8Array;
  let ct: Uint8Array;
  try {
    iv = fromBase64Url(s.iv);
    ct = fromBase64Url(s.ciphertext);
  } catch {
    throw new LinkError('malformed', 'link: unreadable sealed handover');
  }
  if (iv.length !== 12) throw new LinkError('malformed', 'link: bad iv');
  const key = await linkKey(own.keyPair.privateKey, s.publicKey, code, own.publicKey, s.publicKey);
  let plain: ArrayBuffer;
  try {
    plain = await subtle().decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(linkAad(code, own.publicKey, s.publicKey)) }, key, buf(ct));
  } catch {
    throw new LinkError('code-mismatch', 'the handover was not sealed for this code and device');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    throw new LinkError('malformed', 'link: the handover is not JSON');
  }
  return parseHandover(json);
}
