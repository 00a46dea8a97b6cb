// Groups (GRP1..GRP6): who may change a group's membership is part of the signed
// epoch record (`admins`), and the group's name travels encrypted under the epoch
// key (`meta`), so the server never sees it. Pure functions: the name codec, its
// sealing and opening; the check every client makes on a chained record (GRP4..GRP6)
// is in group-change.ts.
import { ProtocolError, buf, canonical, fromBase64Url, randomBytes, toBase64Url } from './encoding.ts';
import { PURPOSE } from './purpose.ts';
import { GROUP_META_PLAIN_BYTES, IV_BYTES, LIMITS } from './rules.ts';
import type { EpochRecord } from './types.ts';

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

export type GroupNameProblem = 'empty' | 'too-long' | 'control-characters';

// C0/C1 controls, and the bidi embeddings, overrides and isolates that could make a
// name read as something else in the list (RTL letters themselves are welcome).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * GRP3: a group name is NFC, trimmed, 1..maxGroupNameChars characters (code points)
 * and at most maxGroupNameBytes UTF-8 bytes, with no control or bidi-control
 * characters. Returns the normalised name or the reason it is refused.
 */
export function checkGroupName(input: string): { ok: true; name: string } | { ok: false; problem: GroupNameProblem } {
  const name = input.normalize('NFC').trim();
  if (name.length === 0) return { ok: false, problem: 'empty' };
  if (FORBIDDEN.test(name)) return { ok: false, problem: 'control-characters' };
  if ([...name].length > LIMITS.maxGroupNameChars || new TextEncoder().encode(name).length > LIMITS.maxGroupNameBytes) {
    return { ok: false, problem: 'too-long' };
  }
  return { ok: true, name };
}

function metaAad(conversationId: string, epoch: number): Uint8Array {
  return canonical(PURPOSE.groupMeta, [conversationId, epoch]);
}

/**
 * GRP3: seal the group name under the epoch key: a fixed 256-byte plaintext (u16
 * big-endian length, UTF-8 name, zeros), so every group's meta has one size, with
 * the conversation and epoch as additional data (a meta moved to another group or
 * epoch does not open).
 */
export async function sealGroupMeta(p: { conversationId: string; epoch: number; key: CryptoKey; name: string }): Promise<string> {
  const checked = checkGroupName(p.name);
  if (!checked.ok) throw new ProtocolError('malformed', `group: name refused (${checked.problem})`);
  const bytes = new TextEncoder().encode(checked.name);
  const plain = new Uint8Array(GROUP_META_PLAIN_BYTES);
  plain[0] = bytes.length >> 8;
  plain[1] = bytes.length & 0xff;
  plain.set(bytes, 2);
  const iv = randomBytes(IV_BYTES);
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(metaAad(p.conversationId, p.epoch)) }, p.key, buf(plain)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64Url(out);
}

/** GRP3: the group name of an opened record, or 'tampered' (one error for every failure). */
export async function openGroupMeta(record: Pick<EpochRecord, 'conversationId' | 'epoch' | 'meta'>, key: CryptoKey): Promise<string> {
  if (record.meta === undefined) throw new ProtocolError('malformed', 'group: not a group record');
  const raw = fromBase64Url(record.meta);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(await subtle().decrypt(
      { name: 'AES-GCM', iv: buf(raw.subarray(0, IV_BYTES)), additionalData: buf(metaAad(record.conversationId, record.epoch)) },
      key,
      buf(raw.subarray(IV_BYTES)),
    ));
  } catch {
    throw new ProtocolError('tampered', 'group: the name does not open');
  }
  const n = (plain[0]! << 8) | plain[1]!;
  if (plain.length !== GROUP_META_PLAIN_BYTES || n > plain.length - 2 || plain.subarray(2 + n).some((b) => b !== 0)) {
    throw new ProtocolError('tampered', 'group: the name does not open');
  }
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(plain.subarray(2, 2 + n));
  } catch {
    throw new ProtocolError('tampered', 'group: the name does not open');
  }
  const checked = checkGroupName(name);
  if (!checked.ok || checked.name !== name) throw new ProtocolError('malformed', 'group: the name is not a valid group name');
  return name;
}

/** True for a group's record (GRP1). */
export function isGroupRecord(r: Pick<EpochRecord, 'admins'>): boolean {
  return r.admins !== undefined;
}
