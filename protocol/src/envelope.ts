// Message envelopes (ENV1..ENV8, OPEN1..OPEN7). The original design's
// encrypted_content / iv / tag, plus a signed, authenticated header that names
// the conversation, epoch, sender and the sender's place in its own chain.
import { ProtocolError, buf, canonical, concatBytes, fromBase64Url, randomBytes, sha256, toBase64Url, toHex, type Field } from './encoding.ts';
import { revocationVerdict, verifyDeviceCertificate, type DeviceSigner } from './device.ts';
import { pinnedIdentity, type Identity, type ImportedIdentity } from './identity.ts';
import { subtleMessageCrypto, type MessageCrypto } from './message-crypto.ts';
import { padPlaintext, unpadPlaintext } from './padding.ts';
import { PURPOSE } from './purpose.ts';
import { IV_BYTES, MAX_EPOCH, TAG_BYTES } from './rules.ts';
import { sha256Parts } from './sha256.ts';
import type { DeviceRevocation, Envelope, EpochMember, MessagePlaintext, PublicIdentity } from './types.ts';
import { checkHash, checkId, checkInt, checkUuid, fail } from './wire.ts';
import { decodeEnvelope, type EnvelopeBytes } from './wire-records.ts';

export type { Envelope, EnvelopeV1, EnvelopeV2, MessagePlaintext } from './types.ts';

export type OpenFailure =
  | 'malformed'
  | 'unsupported-version'
  | 'wrong-conversation'
  | 'unknown-sender'
  | 'bad-signature'
  | 'unknown-epoch'
  | 'not-a-member'
  | 'tampered'
  /** DEV3: a version 2 envelope whose device certificate does not hold under the sender's pinned key. */
  | 'bad-certificate'
  /** DEV10: sent by a revoked device after its cut-off. */
  | 'revoked-device';

export type OpenResult = { ok: true; plaintext: MessagePlaintext; hash: string } | { ok: false; error: OpenFailure };

export interface OpenContext {
  conversationId: string;
  epochs: ReadonlyMap<number, { key: CryptoKey; members: readonly EpochMember[] }>;
  /** The client's PINNED keys; an ImportedIdentity (from importPublicIdentity) avoids a re-import per message. */
  resolveIdentity: (userId: string) => PublicIdentity | ImportedIdentity | undefined;
  /**
   * DEV10: the revocation of this device of this user, if any, ALREADY VERIFIED by the
   * caller under the user's pinned key (verifyDeviceRevocation). Absent: no device is revoked.
   */
  revokedDevice?: (userId: string, deviceId: string) => DeviceRevocation | undefined;
  /** Where the signature check and the decryption run: this thread's WebCrypto by default, or a pool of workers (message-crypto.ts). */
  crypto?: MessageCrypto;
}

/** Read-only placeholder bytes (never written): views of it cost no allocation. */
const ZEROS = new Uint8Array(65536);

interface Header {
  v: 1 | 2;
  type: 'message';
  conversationId: string;
  epoch: number;
  sender: string;
  /** DEV5: version 2 only. */
  deviceId?: string;
  clientMessageId: string;
  counter: number;
  prevHash: string | null;
}

function headerOf(env: Envelope): Header {
  const h: Header = {
    v: env.v, type: env.type, conversationId: env.conversationId, epoch: env.epoch, sender: env.sender,
    clientMessageId: env.clientMessageId, counter: env.counter, prevHash: env.prevHash,
  };
  if (env.v === 2) h.deviceId = env.device.deviceId;
  return h;
}

/** ENV3 (M7, T3): every header field, in a fixed order; DEV5: version 2 adds the device id after the sender. */
function headerFields(h: Header): Field[] {
  if (h.v === 2) return [h.v, h.type, h.conversationId, h.epoch, h.sender, h.deviceId ?? null, h.clientMessageId, h.counter, h.prevHash];
  return [h.v, h.type, h.conversationId, h.epoch, h.sender, h.clientMessageId, h.counter, h.prevHash];
}

/** PUR1, DEV5: each envelope version signs, authenticates and hashes under purposes of its own. */
function purposes(v: 1 | 2): { sign: string; aad: string; hash: string } {
  return v === 2
    ? { sign: PURPOSE.messageV2, aad: PURPOSE.messageAadV2, hash: PURPOSE.messageHashV2 }
    : { sign: PURPOSE.message, aad: PURPOSE.messageAad, hash: PURPOSE.messageHash };
}

function aadOf(h: Header): Uint8Array {
  return canonical(purposes(h.v).aad, headerFields(h));
}

function bodyFields(h: Header, b: Pick<EnvelopeBytes, 'iv' | 'ciphertext' | 'tag'>): Field[] {
  return [...headerFields(h), b.iv, b.ciphertext, b.tag];
}

/** ENV7 (G3, T2): what the sender signs: purpose, header, iv, ciphertext, tag. */
export function envelopeSigningInput(env: Envelope): Uint8Array {
  return canonical(purposes(env.v).sign, bodyFields(headerOf(env), decodeParts(env)));
}

/**
 * DEV6, TR7: the chain an envelope belongs to. Version 1: the sender's (one per user);
 * version 2: the sending device's, `userId#deviceId` ('#' is never in a WIRE3 id).
 */
export function chainOf(env: Pick<Envelope, 'sender'> & ({ v: 1 } | { v: 2; device: { deviceId: string } })): string {
  return env.v === 2 ? `${env.sender}#${env.device.deviceId}` : env.sender;
}

function decodeParts(env: Envelope): Pick<EnvelopeBytes, 'iv' | 'ciphertext' | 'tag'> {
  return { iv: fromBase64Url(env.iv), ciphertext: fromBase64Url(env.encryptedContent), tag: fromBase64Url(env.tag) };
}

/**
 * ENV8: the chain link. Covers exactly the signed content (not the signature),
 * so even a hypothetically malleable signature could not fake a fork.
 */
export async function envelopeHash(env: Envelope): Promise<string> {
  return toHex(await sha256(canonical(purposes(env.v).hash, bodyFields(headerOf(env), decodeParts(env)))));
}

/**
 * ENV1..ENV7: pad, encrypt under a fresh IV with the header as AAD, sign. With `device`
 * (DEV5) the envelope is version 2: it carries the device certificate and is signed by
 * the device key; `counter` and `prevHash` are then the device's own chain (DEV6).
 */
export async function sealMessage(p: {
  conversationId: string;
  epoch: number;
  epochKey: CryptoKey;
  sender: Identity;
  /** DEV5: the sending device; without it a version 1 envelope signed by the account key. */
  device?: DeviceSigner;
  clientMessageId: string;
  counter: number;
  prevHash: string | null;
  plaintext: MessagePlaintext;
}): Promise<Envelope> {
  const header: Header = {
    v: p.device ? 2 : 1,
    type: 'message',
    conversationId: checkId(p.conversationId, 'conversationId'),
    epoch: checkInt(p.epoch, 0, MAX_EPOCH, 'epoch'),
    sender: checkId(p.sender.userId, 'sender'),
    clientMessageId: checkUuid(p.clientMessageId, 'clientMessageId'),
    counter: checkInt(p.counter, 1, Number.MAX_SAFE_INTEGER, 'counter'),
    prevHash: p.prevHash === null ? null : checkHash(p.prevHash, 'prevHash'),
  };
  if (p.device) {
    if (p.device.cert.userId !== header.sender) fail('envelope: the device certificate is for another user');
    header.deviceId = p.device.cert.deviceId;
  }
  if ((header.counter === 1) !== (header.prevHash === null)) fail('envelope: prevHash must be null exactly for counter 1');
  const padded = padPlaintext(p.plaintext);
  const iv = randomBytes(IV_BYTES); // ENV4: fresh random 96-bit IV per message
  const encrypting = globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(iv), additionalData: buf(aadOf(header)), tagLength: 128 },
    p.epochKey,
    buf(padded),
  );
  // While AES-GCM runs off-thread, lay out the signing input with zeroed slots
  // for ciphertext and tag; they are the last two fields, so their offsets are
  // fixed by the canonical encoding (tag byte + u32 length before each).
  const input = canonical(purposes(header.v).sign, bodyFields(header, { iv, ciphertext: ZEROS.subarray(0, padded.length), tag: ZEROS.subarray(0, TAG_BYTES) }));
  const ivText = toBase64Url(iv);
  const sealed = new Uint8Array(await encrypting);
  padded.fill(0);
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  input.set(ciphertext, input.length - TAG_BYTES - 5 - ciphertext.length);
  input.set(tag, input.length - TAG_BYTES);
  const signer = p.device ? p.device.privateKey : p.sender.signing.privateKey;
  const signing = globalThis.crypto.subtle.sign({ name: 'Ed25519' }, signer, buf(input));
  const encryptedContent = toBase64Url(ciphertext);
  const tagText = toBase64Url(tag);
  const sig = toBase64Url(new Uint8Array(await signing));
  const rest = {
    type: 'message' as const, conversationId: header.conversationId, epoch: header.epoch, sender: header.sender,
    clientMessageId: header.clientMessageId, counter: header.counter, prevHash: header.prevHash,
    iv: ivText, encryptedContent, tag: tagText, sig,
  };
  return p.device ? { v: 2, ...rest, device: p.device.cert } : { v: 1, ...rest };
}

/**
 * OPEN1..OPEN7: shape, conversation, sender, signature, epoch and membership,
 * then AEAD. Never throws for hostile input; every failure is a named result.
 */
export async function openMessage(envIn: Envelope, ctx: OpenContext): Promise<OpenResult> {
  let env: Envelope;
  let bytes: EnvelopeBytes;
  try {
    ({ env, bytes } = decodeEnvelope(envIn));
  } catch (e) {
    return { ok: false, error: e instanceof ProtocolError && e.code === 'unsupported-version' ? 'unsupported-version' : 'malformed' };
  }
  // OPEN2 (T3): a message reflected or copied from another conversation.
  if (env.conversationId !== ctx.conversationId) return { ok: false, error: 'wrong-conversation' };
  // OPEN3 (M2): only the client's pinned key for the named sender counts.
  const sender = await pinnedIdentity(ctx.resolveIdentity, env.sender);
  if (sender === null) return { ok: false, error: 'unknown-sender' };
  // DEV3, DEV7: a version 2 envelope is signed by a device key that the sender's PINNED
  // account key certified; the certificate names that key's fingerprint.
  let signingKey = sender.signingKey;
  if (env.v === 2) {
    const deviceKey = await verifyDeviceCertificate(env.device, sender);
    if (deviceKey === null) return { ok: false, error: 'bad-certificate' };
    signingKey = deviceKey;
  }
  // OPEN4 (G3, T2, T3): signature over purpose, header and ciphertext.
  const header = headerOf(env);
  const p = purposes(env.v);
  const signed = canonical(p.sign, bodyFields(header, bytes));
  const crypto = ctx.crypto ?? subtleMessageCrypto;
  const verifying = crypto.verify(signingKey, bytes.sig, signed);
  // While the signature check runs (in a worker, with a pool), prepare what comes after it. Nothing
  // here acts on unverified data: it only hashes and lays out bytes. ENV8: the chain
  // link is canonical(hash purpose, the same fields): CANON1 puts the purpose first (u32
  // length, its ASCII bytes), so it is the hash purpose's prefix then the signing input's
  // fields, hashed without a second encoding.
  const hashBytes = sha256Parts(canonical(p.hash, []).subarray(0, -4), signed.subarray(4 + p.sign.length));
  const aad = aadOf(header);
  const sealed = concatBytes(bytes.ciphertext, bytes.tag);
  if (!(await verifying)) return { ok: false, error: 'bad-signature' };
  // DEV10: a revoked device's messages stand only up to the cut-off the revocation names.
  if (env.v === 2) {
    const revoked = ctx.revokedDevice?.(env.sender, env.device.deviceId);
    if (revoked !== undefined && (await revocationVerdict(revoked, env.conversationId, env.counter, toHex(hashBytes))) === 'after') {
      return { ok: false, error: 'revoked-device' };
    }
  }
  // OPEN5 (M1, M4): the epoch must be one this client opened, and the sender one
  // of its signed members with the very key that signed.
  const epoch = ctx.epochs.get(env.epoch);
  if (epoch === undefined) return { ok: false, error: 'unknown-epoch' };
  const member = epoch.members.find((m) => m.userId === env.sender);
  if (member === undefined || member.fingerprint !== sender.fingerprint) return { ok: false, error: 'not-a-member' };
  // OPEN6 (M7): AES-GCM over the header as AAD; any bit flipped anywhere fails here.
  let padded: Uint8Array;
  try {
    padded = new Uint8Array(await crypto.decrypt(epoch.key, bytes.iv, aad, sealed));
  } catch {
    return { ok: false, error: 'tampered' };
  }
  // OPEN7: authentic but not a valid plaintext means a faulty or hostile sender.
  try {
    return { ok: true, plaintext: unpadPlaintext(padded), hash: toHex(hashBytes) };
  } catch {
    return { ok: false, error: 'malformed' };
  } finally {
    padded.fill(0);
  }
}
