// Message plaintext encoding and length hiding (ENV5, ENV6, T7). The plaintext is
// a small JSON object, but it is written and read by hand with a fixed key order
// and strict types, then padded to the next bucket so the ciphertext length only
// reveals the bucket.
import { ProtocolError, fromUtf8 } from './encoding.ts';
import { LIMITS } from './rules.ts';
import type { MessageKind, MessagePlaintext } from './types.ts';
import { checkAttachmentRef } from './attachment-ref.ts';
import { checkEventFields } from './event-fields.ts';
import { checkUuid, fail, isRecord } from './wire.ts';
import { isCleanDisplayName } from './display-name.ts';

export type { MessagePlaintext } from './types.ts';

/** ENV1, EVT1: every plaintext type; anything else is refused. */
const KINDS: readonly MessageKind[] = ['text', 'receipt', 'read', 'reaction', 'edit', 'delete', 'profile'];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(s: string): boolean {
  const native = (s as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof native === 'function' ? native.call(s) : !LONE_SURROGATE.test(s);
}

export function checkPlaintext(p: unknown): MessagePlaintext {
  if (!isRecord(p)) fail('plaintext: not an object');
  const keys = Object.keys(p);
  const allowed = ['type', 'body', 'composedAt', 'refs', 'attachment', 'replyTo', 'target'];
  if (!keys.every((k) => allowed.includes(k)) || !('type' in p && 'body' in p && 'composedAt' in p)) fail('plaintext: fields');
  if (!KINDS.includes(p.type as MessageKind)) fail('plaintext: unknown type');
  if (typeof p.body !== 'string' || p.body.length > LIMITS.maxBodyChars) fail('plaintext: body');
  // A lone surrogate would be replaced by U+FFFD in UTF-8, so the receiver would
  // read a different body than the sender typed; refuse it instead.
  if (!wellFormed(p.body)) fail('plaintext: body is not well-formed Unicode');
  if (typeof p.composedAt !== 'number' || !Number.isSafeInteger(p.composedAt) || p.composedAt < 0) fail('plaintext: composedAt');
  const out: MessagePlaintext = { type: p.type as MessageKind, body: p.body, composedAt: p.composedAt };
  if ('refs' in p && p.refs !== undefined) {
    if (!Array.isArray(p.refs) || p.refs.length > LIMITS.maxRefs) fail('plaintext: refs');
    out.refs = p.refs.map((r: unknown) => checkUuid(r, 'plaintext.refs[]'));
  }
  // ATT5: a file reference rides only on a text message, inside the signed ciphertext.
  if ('attachment' in p && p.attachment !== undefined) {
    if (out.type !== 'text') fail('plaintext: only a text message carries an attachment');
    out.attachment = checkAttachmentRef(p.attachment);
  }
  if (out.type === 'receipt' && (out.refs === undefined || out.refs.length === 0)) fail('plaintext: a receipt must reference messages');
  // EVT1: replies, read receipts, reactions, edits and deletes; fields kept in this order (ENV5).
  checkEventFields(out, p);
  // NAME3: a display name exactly as NAME2 cleans it, no refs; refused at seal time and when opened.
  if (out.type === 'profile' && (!isCleanDisplayName(out.body) || out.refs !== undefined)) fail('plaintext: profile name');
  return out;
}

export function bucketFor(n: number): number {
  for (const b of LIMITS.paddingBuckets) if (n <= b) return b;
  throw new ProtocolError('too-large', 'message too large for the largest padding bucket');
}

const encoder = new TextEncoder();

/** UTF-8 into out[4..]: a plain loop for ASCII (most messages), TextEncoder otherwise. */
function encodeInto(json: string, out: Uint8Array): { read: number; written: number } {
  const n = json.length;
  if (n <= out.length - 4) {
    let i = 0;
    for (; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c > 0x7f) break;
      out[4 + i] = c;
    }
    if (i === n) return { read: n, written: n };
  }
  return encoder.encodeInto(json, out.subarray(4));
}

/** ENV5: u32 length || UTF-8 JSON || zero bytes up to the bucket size. */
export function padPlaintext(p: MessagePlaintext): Uint8Array {
  const clean = checkPlaintext(p);
  const json = JSON.stringify(clean); // checkPlaintext built it with the fixed key order
  // Encode straight into the padded buffer: start from the bucket the UTF-16
  // length needs and move up only if the UTF-8 form does not fit.
  for (let need = 4 + json.length; ; ) {
    const out = new Uint8Array(bucketFor(need));
    const { read, written } = encodeInto(json, out);
    if (read === json.length) {
      out[0] = written >>> 24;
      out[1] = (written >>> 16) & 0xff;
      out[2] = (written >>> 8) & 0xff;
      out[3] = written & 0xff;
      return out;
    }
    need = out.length + 1;
  }
}

/** ENV6: the inverse, refusing a wrong bucket, a bad length, non-zero padding or a bad object. */
export function unpadPlaintext(b: Uint8Array): MessagePlaintext {
  if (!LIMITS.paddingBuckets.includes(b.length)) fail('plaintext: not a bucket size');
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
  if (n > b.length - 4) fail('plaintext: length');
  for (let i = 4 + n; i < b.length; i++) if (b[i] !== 0) fail('plaintext: padding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUtf8(b.subarray(4, 4 + n)));
  } catch {
    fail('plaintext: not JSON');
  }
  return checkPlaintext(parsed);
}
