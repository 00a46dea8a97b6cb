// Conversation events (SPEC §8a, EVT1): the strict checks of the plaintext fields of read
// receipts, replies, reactions, edits and deletes, called by padding.ts at seal and open
// time. What the events mean for the messages they name is events.ts (the fold).
import type { MessageKind, MessagePlaintext, MessageRef } from './types.ts';
import { checkHash, checkUuid, fail, isRecord } from './wire.ts';

/** EVT1: the plaintext kinds that are events about one other message (named by `target`). */
export const TARGETED_KINDS: readonly MessageKind[] = ['reaction', 'edit', 'delete'];

/** EVT5: a reaction is one short emoji sequence (no spaces or control characters), or '' to take it back. */
export const MAX_REACTION_CHARS = 16;
const REACTION_RE = /^[^\s\p{Cc}]+$/u;

/** EVT1, EVT3: a reference to a message, exactly `{id, hash}`. */
export function checkMessageRef(x: unknown, what: string): MessageRef {
  if (!isRecord(x)) fail(`${what}: not an object`);
  const keys = Object.keys(x);
  if (keys.length !== 2 || !('id' in x) || !('hash' in x)) fail(`${what}: fields`);
  return { id: checkUuid(x.id, `${what}.id`), hash: checkHash(x.hash, `${what}.hash`) };
}

/**
 * EVT1, EVT2: what each event kind must and must not carry, checked on a plaintext whose
 * common fields (type, body, composedAt, refs, attachment) padding.ts already checked.
 * `replyTo` only on a text; `target` required on reaction, edit and delete and refused on
 * everything else; a read receipt names messages in `refs` like a delivery receipt (R2).
 */
export function checkEventFields(out: MessagePlaintext, p: Record<string, unknown>): void {
  if ('replyTo' in p && p.replyTo !== undefined) {
    if (out.type !== 'text') fail('plaintext: only a text message replies');
    out.replyTo = checkMessageRef(p.replyTo, 'plaintext.replyTo');
  }
  const targeted = TARGETED_KINDS.includes(out.type);
  if ('target' in p && p.target !== undefined) {
    if (!targeted) fail('plaintext: only a reaction, an edit or a delete has a target');
    out.target = checkMessageRef(p.target, 'plaintext.target');
  } else if (targeted) {
    fail(`plaintext: a ${out.type} must name its target`);
  }
  if (out.type === 'read' && (out.refs === undefined || out.refs.length === 0)) fail('plaintext: a read receipt must reference messages');
  if ((targeted || out.type === 'read') && out.attachment !== undefined) fail('plaintext: an event carries no attachment');
  if (targeted && out.refs !== undefined) fail('plaintext: an event names its message in target, not refs');
  if (out.type === 'reaction' && out.body !== '' && (out.body.length > MAX_REACTION_CHARS || !REACTION_RE.test(out.body))) fail('plaintext: reaction');
  if ((out.type === 'delete' || out.type === 'read') && out.body !== '') fail(`plaintext: a ${out.type} has no body`);
  if (out.type === 'edit' && out.body.trim() === '') fail('plaintext: an edit must have text');
}
