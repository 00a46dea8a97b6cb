import { sha256Sync } from './sha256.ts';

// Byte helpers, strict base64url, the protocol's error type and the canonical,
// length-prefixed encoding that every signature, AAD, label and hash input uses.

export type ProtocolErrorCode =
  | 'malformed'
  | 'unsupported-version'
  | 'wrong-conversation'
  | 'unknown-sender'
  | 'unknown-member'
  | 'bad-signature'
  | 'unknown-epoch'
  | 'not-a-member'
  | 'tampered'
  | 'broken-chain'
  | 'key-mismatch'
  | 'too-large'
  | 'not-an-admin'
  /** HIST4: this reader's entry names an earlier key of its own and no archived key opens it. */
  | 'not-archived';

export class ProtocolError extends Error {
  public code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) CODES[i] = ALPHABET.charCodeAt(i);

/**
 * RFC 4648 base64url without padding. Characters are written as bytes and turned
 * into a string in chunks, which is several times faster than concatenating
 * one character at a time (this runs four times per message).
 */
export function toBase64Url(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil((bytes.length * 4) / 3));
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
    out[o++] = CODES[(n >> 6) & 63]!;
    out[o++] = CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = CODES[n >> 18]!;
    out[o++] = CODES[(n >> 12) & 63]!;
    out[o++] = CODES[(n >> 6) & 63]!;
  }
  let str = '';
  for (let k = 0; k < o; k += 8192) {
    str += String.fromCharCode.apply(null, out.subarray(k, Math.min(o, k + 8192)) as unknown as number[]);
  }
  return str;
}

/**
 * Strict decoder: only the base64url alphabet, no padding, and the unused low
 * bits of the last character must be zero. Rejecting non-canonical text means
 * each byte string has exactly one spelling, so a flipped character can never
 * decode to the same bytes and slip past a signature (WIRE2).
 */
export function fromBase64Url(s: string): Uint8Array {
  if (typeof s !== 'string') throw new ProtocolError('malformed', 'base64url: not a string');
  const len = s.length;
  if (len % 4 === 1) throw new ProtocolError('malformed', 'base64url: bad length');
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new ProtocolError('malformed', 'base64url: bad character');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= 0xff; // keep the accumulator small; at most 8 pending bits matter
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new ProtocolError('malformed', 'base64url: non-canonical trailing bits');
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Fatal UTF-8 decoding: invalid sequences are a malformed input, never U+FFFD. */
export function fromUtf8(b: Uint8Array): string {
  try {
    return decoder.decode(b);
  } catch {
    throw new ProtocolError('malformed', 'invalid UTF-8');
  }
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]!;
  return s;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Length-independent comparison for secrets-adjacent values (hashes, commitments). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** A value in a canonical encoding: text, bytes, a non-negative safe integer, or absent. */
export type Field = string | Uint8Array | number | null;

const TAG_NULL = 0;
const TAG_BYTES = 1;
const TAG_TEXT = 2;
const TAG_UINT = 3;

/**
 * CANON1: purpose string first, then each field as tag || length || value.
 * Lengths are 32-bit big-endian, integers 64-bit big-endian. Because every
 * field carries its type and length, two different field lists can never
 * encode to the same bytes, unlike JSON.stringify whose key order and
 * escaping depend on how an object was built (T2, M3, M5).
 */
export function canonical(purpose: string, fields: readonly Field[]): Uint8Array {
  // Two passes: sizes first, then one allocation. Strings take an ASCII fast
  // path (ids, hashes, purposes), falling back to TextEncoder otherwise; this
  // runs several times per message, so it is kept allocation-light.
  const encoded: (Uint8Array | string | null)[] = new Array(fields.length);
  const p = asciiOrUtf8(purpose);
  let total = 4 + byteLen(p) + 4;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === null) {
      encoded[i] = null;
      total += 5;
    } else if (typeof f === 'string') {
      const e = asciiOrUtf8(f);
      encoded[i] = e;
      total += 5 + byteLen(e);
    } else if (typeof f === 'number') {
      if (!Number.isSafeInteger(f) || f < 0) throw new ProtocolError('malformed', 'canonical: integer out of range');
      encoded[i] = null;
      total += 5 + 8;
    } else {
      encoded[i] = f;
      total += 5 + f.length;
    }
  }
  const out = new Uint8Array(total);
  let o = putLen(out, 0, byteLen(p));
  o = putBody(out, o, p);
  o = putLen(out, o, fields.length);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f === null) {
      out[o] = TAG_NULL;
      o = putLen(out, o + 1, 0);
    } else if (typeof f === 'number') {
      out[o] = TAG_UINT;
      o = putLen(out, o + 1, 8);
      o = putLen(out, o, Math.floor(f / 2 ** 32));
      o = putLen(out, o, f >>> 0);
    } else {
      const e = encoded[i]!;
      out[o] = typeof f === 'string' ? TAG_TEXT : TAG_BYTES;
      o = putLen(out, o + 1, byteLen(e));
      o = putBody(out, o, e);
    }
  }
  return out;
}

/** An ASCII string stays a string (written byte by byte); anything else is UTF-8 encoded. */
function asciiOrUtf8(s: string): string | Uint8Array {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return utf8(s);
  return s;
}
function byteLen(e: string | Uint8Array): number {
  return e.length;
}
function putLen(out: Uint8Array, o: number, n: number): number {
  out[o] = n >>> 24;
  out[o + 1] = (n >>> 16) & 0xff;
  out[o + 2] = (n >>> 8) & 0xff;
  out[o + 3] = n & 0xff;
  return o + 4;
}
function putBody(out: Uint8Array, o: number, e: string | Uint8Array): number {
  if (typeof e === 'string') {
    for (let i = 0; i < e.length; i++) out[o + i] = e.charCodeAt(i);
  } else out.set(e, o);
  return o + e.length;
}

/** WebCrypto wants a BufferSource backed by a plain ArrayBuffer under TS 5.9's typings. */
export function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** SHA-256, computed synchronously (see sha256.ts for why); async for API stability. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return sha256Sync(data);
}
