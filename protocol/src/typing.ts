// Typing indicators (TYP1..TYP8): an ephemeral signal, signed by the sending device and
// sealed under the conversation's current epoch key, relayed by the service and never stored
// by anyone. Pure: WebCrypto only, no I/O, no clock (the caller passes `now`).
import { buf, canonical, concatBytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url, utf8 } from './encoding.ts';
import { verifyDeviceCertificate, type DeviceSigner } from './device.ts';
import { pinnedIdentity, type ImportedIdentity } from './identity.ts';
import { PURPOSE } from './purpose.ts';
import { IV_BYTES, MAX_EPOCH, SIG_BYTES, TAG_BYTES, TYPING_MAX_SEALED_CHARS } from './rules.ts';
import type { DeviceRevocation, EpochMember, PublicIdentity } from './types.ts';
import { checkId, checkInt, checkUuid, exactKeys, isRecord } from './wire.ts';
import { parseDeviceCertificate } from './wire-records.ts';

export type TypingState = 'start' | 'stop';

/** Typing indicators (TYP1..TYP8): ephemeral signals, relayed and never stored. */
export const TYPING_LIMITS = {
  /** TYP3: the padded plaintext of one signal (signal, device certificate, signature). */
  plainBytes: 1024,
  maxSealedChars: TYPING_MAX_SEALED_CHARS,
  /** TYP6: a signal older, or further in the future, than this (ms, receiver's clock) is refused. */
  maxSkewMs: 20_000,
  /** TYP8: a shown indicator expires this long (ms) after the last `start` without a `stop`. */
  showMs: 6_000,
  /** TYP8: a sender repeats `start` at most once per this many ms while the user types. */
  resendMs: 3_000,
  /** The service relays at most this many `typing` frames per socket per second (the rest are dropped). */
  maxPerSecond: 5,
};

/** TYP1: what a device says, signed by it. */
export interface TypingSignal {
  v: 1;
  kind: 'typing';
  conversationId: string;
  epoch: number;
  sender: string;
  deviceId: string;
  state: TypingState;
  /** The sender's clock, ms. */
  sentAt: number;
  /** TYP1: strictly increasing per device (senders use max(previous + 1, sentAt)). */
  counter: number;
}

export type TypingFailure =
  | 'malformed'
  | 'unsupported-version'
  | 'unknown-epoch'
  | 'tampered'
  | 'wrong-conversation'
  | 'unknown-sender'
  | 'bad-certificate'
  | 'bad-signature'
  | 'not-a-member'
  | 'revoked-device'
  | 'stale'
  | 'replay';

export type TypingOpenResult = { ok: true; signal: TypingSignal } | { ok: false; error: TypingFailure };

export interface TypingOpenContext {
  /** The conversation the frame was relayed in. */
  conversationId: string;
  /** TYP4: the conversation's CURRENT epoch only; a signal under any other is `unknown-epoch`. */
  epoch: { epoch: number; key: CryptoKey; members: readonly EpochMember[] };
  /** The client's pinned keys. */
  resolveIdentity: (userId: string) => PublicIdentity | ImportedIdentity | undefined;
  /** DEV10: a verified revocation of this device, if any: a revoked device signals nothing (TYP5). */
  revokedDevice?: (userId: string, deviceId: string) => DeviceRevocation | undefined;
  /** The receiver's clock, ms (TYP6). */
  now: number;
  /**
   * TYP7: the last counter accepted per `sender#deviceId`, kept by the caller for the page's
   * lifetime (memory only); updated here when a signal is accepted.
   */
  seen: Map<string, number>;
}

const VERSION = 1;
/** Outer layout: u8 version, u32 epoch, iv, ciphertext (TYPING_LIMITS.plainBytes), tag. */
const HEAD_BYTES = 1 + 4;
export const TYPING_SEALED_BYTES = HEAD_BYTES + IV_BYTES + TYPING_LIMITS.plainBytes + TAG_BYTES;

/** TYP2: the signed fields, in a fixed order. */
function signalFields(s: TypingSignal): (string | number)[] {
  return [s.v, s.kind, s.conversationId, s.epoch, s.sender, s.deviceId, s.state, s.sentAt, s.counter];
}

/** TYP2: the Ed25519 signing input of a signal. */
export function typingSigningInput(s: TypingSignal): Uint8Array {
  return canonical(PURPOSE.typing, signalFields(s));
}

/** TYP3: the AES-GCM additional data binds the version, the kind, the conversation and the epoch. */
function aadOf(conversationId: string, epoch: number): Uint8Array {
  return canonical(PURPOSE.typingAad, [VERSION, 'typing', conversationId, epoch]);
}

function checkSignal(x: unknown): TypingSignal {
  if (!isRecord(x)) throw new Error('typing: not an object');
  exactKeys(x, ['v', 'kind', 'conversationId', 'epoch', 'sender', 'deviceId', 'state', 'sentAt', 'counter'], 'typing');
  if (x.v !== 1 || x.kind !== 'typing' || (x.state !== 'start' && x.state !== 'stop')) throw new Error('typing: v, kind or state');
  return {
    v: 1, kind: 'typing', conversationId: checkId(x.conversationId, 'conversationId'), epoch: checkInt(x.epoch, 0, MAX_EPOCH, 'epoch'),
    sender: checkId(x.sender, 'sender'), deviceId: checkUuid(x.deviceId, 'deviceId'), state: x.state,
    sentAt: checkInt(x.sentAt, 0, Number.MAX_SAFE_INTEGER, 'sentAt'), counter: checkInt(x.counter, 1, Number.MAX_SAFE_INTEGER, 'counter'),
  };
}

/**
 * TYP1..TYP3: sign the signal with the device key, then seal `{signal, cert, sig}` (padded
 * to a fixed size) under the epoch key. Returns the base64url text a `typing` frame carries.
 */
export async function sealTyping(p: {
  conversationId: string;
  epoch: number;
  epochKey: CryptoKey;
  device: DeviceSigner;
  state: TypingState;
  sentAt: number;
  counter: number;
}): Promise<string> {
  const signal = checkSignal({
    v: 1, kind: 'typing', conversationId: p.conversationId, epoch: p.epoch, sender: p.device.cert.userId,
    deviceId: p.device.cert.deviceId, state: p.state, sentAt: p.sentAt, counter: p.counter,
  });
  const sig = new Uint8Array(await globalThis.crypto.subtle.sign({ name: 'Ed25519' }, p.device.privateKey, buf(typingSigningInput(signal))));
  const json = utf8(JSON.stringify({ signal, cert: p.device.cert, sig: toBase64Url(sig) }));
  if (json.length + 4 > TYPING_LIMITS.plainBytes) throw new Error('typing: the signal does not fit');
  const plain = new Uint8Array(TYPING_LIMITS.plainBytes);
  new DataView(plain.buffer).setUint32(0, json.length);
  plain.set(json, 4);
  const iv = randomBytes(IV_BYTES);
  const sealed = new Uint8Array(await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(iv), additionalData: buf(aadOf(signal.conversationId, signal.epoch)), tagLength: 128 },
    p.epochKey,
    buf(plain),
  ));
  const head = new Uint8Array(HEAD_BYTES);
  head[0] = VERSION;
  new DataView(head.buffer).setUint32(1, signal.epoch);
  return toBase64Url(concatBytes(head, iv, sealed));
}

/** The epoch a sealed signal names (its key is looked up by it), or null when malformed. */
export function typingEpoch(sealed: string): number | null {
  try {
    const bytes = fromBase64Url(sealed);
    return bytes.length === TYPING_SEALED_BYTES ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(1) : null;
  } catch {
    return null;
  }
}

/**
 * TYP3..TYP7: open a signal relayed in `ctx.conversationId`. Never throws for hostile input;
 * every refusal is a named result. Records the counter in `ctx.seen` when accepted.
 */
export async function openTyping(sealed: string, ctx: TypingOpenContext): Promise<TypingOpenResult> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(sealed);
  } catch {
    return { ok: false, error: 'malformed' };
  }
  if (bytes.length < 1) return { ok: false, error: 'malformed' };
  if (bytes[0] !== VERSION) return { ok: false, error: 'unsupported-version' };
  if (bytes.length !== TYPING_SEALED_BYTES) return { ok: false, error: 'malformed' };
  const epoch = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1);
  // TYP4: only the current epoch's key opens a signal.
  if (epoch !== ctx.epoch.epoch) return { ok: false, error: 'unknown-epoch' };
  // TYP3: AES-GCM under the conversation and epoch it is relayed in; any flipped bit fails.
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(bytes.subarray(HEAD_BYTES, HEAD_BYTES + IV_BYTES)), additionalData: buf(aadOf(ctx.conversationId, epoch)), tagLength: 128 },
      ctx.epoch.key,
      buf(bytes.subarray(HEAD_BYTES + IV_BYTES)),
    ));
  } catch {
    return { ok: false, error: 'tampered' };
  }
  let signal: TypingSignal;
  let cert: unknown;
  let sig: Uint8Array;
  try {
    const n = new DataView(plain.buffer).getUint32(0);
    if (n > plain.length - 4 || plain.subarray(4 + n).some((b) => b !== 0)) throw new Error('typing: padding');
    const outer: unknown = JSON.parse(fromUtf8(plain.subarray(4, 4 + n)));
    if (!isRecord(outer)) throw new Error('typing: not an object');
    exactKeys(outer, ['signal', 'cert', 'sig'], 'typing');
    signal = checkSignal(outer.signal);
    cert = parseDeviceCertificate(outer.cert);
    if (typeof outer.sig !== 'string') throw new Error('typing: sig');
    sig = fromBase64Url(outer.sig);
    if (sig.length !== SIG_BYTES) throw new Error('typing: sig');
  } catch {
    return { ok: false, error: 'malformed' };
  }
  // TYP3: the signed conversation and epoch are the ones it was relayed and sealed in.
  if (signal.conversationId !== ctx.conversationId || signal.epoch !== epoch) return { ok: false, error: 'wrong-conversation' };
  // TYP5: the sender's PINNED account key certifies the device key that signed (DEV3).
  const sender = await pinnedIdentity(ctx.resolveIdentity, signal.sender);
  if (sender === null) return { ok: false, error: 'unknown-sender' };
  const deviceKey = await verifyDeviceCertificate(cert, sender);
  if (deviceKey === null || (cert as { deviceId: string }).deviceId !== signal.deviceId) return { ok: false, error: 'bad-certificate' };
  const verified = await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, deviceKey, buf(sig), buf(typingSigningInput(signal)));
  if (!verified) return { ok: false, error: 'bad-signature' };
  // TYP5: a member of the current epoch with the very account key that certified the device.
  const member = ctx.epoch.members.find((m) => m.userId === signal.sender);
  if (member === undefined || member.fingerprint !== sender.fingerprint) return { ok: false, error: 'not-a-member' };
  // TYP5: a revoked device signals nothing, whatever its cut-offs for messages.
  const revoked = ctx.revokedDevice?.(signal.sender, signal.deviceId);
  if (revoked !== undefined) return { ok: false, error: 'revoked-device' };
  // TYP6: neither old nor from the future by more than the window.
  if (Math.abs(ctx.now - signal.sentAt) > TYPING_LIMITS.maxSkewMs) return { ok: false, error: 'stale' };
  // TYP7: each device's counter only goes up.
  const chain = `${signal.sender}#${signal.deviceId}`;
  const last = ctx.seen.get(chain);
  if (last !== undefined && signal.counter <= last) return { ok: false, error: 'replay' };
  ctx.seen.set(chain, signal.counter);
  return { ok: true, signal };
}
