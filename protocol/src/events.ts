// Conversation events (SPEC §8a, EVT1..EVT8): read receipts, replies, reactions, edits and
// deletes, each an ordinary signed and encrypted message (ENV1) whose plaintext names the
// message it is about. Two pure parts: the strict checks of the new plaintext fields (called
// by padding.ts at seal and open time), and `foldEvents`, which turns a conversation's
// accepted messages into what each text message shows. No I/O, no server order: the fold
// never looks at log sequence numbers, only at signed content and each sender's own chain.
import { LIMITS } from './rules.ts';
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

// ---- the fold (client) ------------------------------------------------------------------

/** One accepted message of the conversation, opened (its envelope verified, TR accepted). */
export interface FoldItem {
  /** clientMessageId. */
  id: string;
  /** envelopeHash (ENV8). */
  hash: string;
  /** The account that signed it (the envelope's sender). */
  sender: string;
  /** The sending chain (chainOf: the device for version 2, DEV6). */
  chain: string;
  counter: number;
  plaintext: MessagePlaintext;
}

export interface Reaction {
  emoji: string;
  /** Who reacted with it, sorted. */
  by: string[];
}

export type QuoteState = 'shown' | 'deleted' | 'unavailable';

export interface Quote {
  id: string;
  /** The quoted message's sender, when it is known. */
  sender: string | null;
  /** Its text as shown now (edited text when edited); null unless `state` is 'shown'. */
  body: string | null;
  state: QuoteState;
}

/** What a text message shows after every event about it. */
export interface FoldedMessage {
  /** null when deleted. */
  body: string | null;
  edited: boolean;
  deleted: boolean;
  reactions: Reaction[];
  /** Other members who signed a read receipt for it (empty when read receipts are off: EVT2). */
  readBy: string[];
  replyTo: Quote | null;
}

/**
 * EVT4: is `b` later than `a` in their sender's own order? Within one chain, by counter
 * (signed, chained: the server cannot reorder it); between two devices of the same account,
 * by the signed composedAt, then by chain. Between chains this compares each chain's latest
 * event only (see `latestOf`), so the result never depends on the order of the input.
 */
export function laterThan(b: FoldItem, a: FoldItem): boolean {
  if (a.chain === b.chain) return b.counter > a.counter;
  if (a.plaintext.composedAt !== b.plaintext.composedAt) return b.plaintext.composedAt > a.plaintext.composedAt;
  return b.chain > a.chain;
}

/** EVT4: one member's latest event among `events`: the latest of each chain, then the latest of those. */
export function latestOf(events: readonly FoldItem[]): FoldItem | undefined {
  const perChain = new Map<string, FoldItem>();
  for (const e of events) {
    const prev = perChain.get(e.chain);
    if (!prev || e.counter > prev.counter) perChain.set(e.chain, e);
  }
  let best: FoldItem | undefined;
  for (const e of perChain.values()) if (!best || laterThan(e, best)) best = e;
  return best;
}

const keyOf = (r: MessageRef) => `${r.id}/${r.hash}`;

/**
 * EVT2..EVT7: a conversation's accepted messages (any order) -> what each text message shows,
 * keyed by its envelope hash. Events that name no text message of the conversation by both id
 * and hash (EVT3), edits and deletes by anyone but the text's own sender (EVT6), and read
 * receipts when `showReads` is false (EVT2) change nothing.
 */
export function foldEvents(items: readonly FoldItem[], opts: { showReads: boolean }): Map<string, FoldedMessage> {
  const texts = new Map<string, FoldItem>();
  const byId = new Map<string, FoldItem[]>();
  for (const it of items) {
    if (it.plaintext.type !== 'text') continue;
    const k = keyOf(it);
    if (texts.has(k)) continue;
    texts.set(k, it);
    byId.set(it.id, [...(byId.get(it.id) ?? []), it]);
  }
  /** target key -> the sender's edits of it. */
  const editsOf = new Map<string, FoldItem[]>();
  const deleted = new Set<string>();
  /** target key -> reactor -> their reaction events. */
  const reactionsOf = new Map<string, Map<string, FoldItem[]>>();
  const readBy = new Map<string, Set<string>>();
  for (const ev of items) {
    const pt = ev.plaintext;
    if (pt.type === 'read') {
      if (!opts.showReads) continue;
      for (const ref of pt.refs ?? []) {
        for (const t of byId.get(ref) ?? []) {
          if (t.sender === ev.sender) continue; // EVT2: nobody reads their own message for the others
          const set = readBy.get(t.hash) ?? new Set<string>();
          set.add(ev.sender);
          readBy.set(t.hash, set);
        }
      }
      continue;
    }
    if (!pt.target) continue;
    const k = keyOf(pt.target);
    const target = texts.get(k); // EVT3: both the id and the hash must match
    if (!target) continue;
    if (pt.type === 'reaction') {
      const per = reactionsOf.get(k) ?? new Map<string, FoldItem[]>();
      per.set(ev.sender, [...(per.get(ev.sender) ?? []), ev]);
      reactionsOf.set(k, per);
      continue;
    }
    if (target.sender !== ev.sender) continue; // EVT6: only the message's own sender edits or deletes it
    if (pt.type === 'delete') deleted.add(k);
    if (pt.type === 'edit') editsOf.set(k, [...(editsOf.get(k) ?? []), ev]);
  }
  // EVT4: the latest edit, and each member's latest reaction, in their own order.
  const edits = new Map([...editsOf].map(([k, list]) => [k, latestOf(list)!]));
  const bodyOf = (k: string, t: FoldItem): string | null => (deleted.has(k) ? null : (edits.get(k)?.plaintext.body ?? t.plaintext.body));
  const out = new Map<string, FoldedMessage>();
  for (const [k, t] of texts) {
    const isDeleted = deleted.has(k);
    const counts = new Map<string, string[]>();
    if (!isDeleted) {
      for (const [who, list] of reactionsOf.get(k) ?? []) {
        const ev = latestOf(list)!;
        if (ev.plaintext.body === '') continue; // EVT5: taken back
        counts.set(ev.plaintext.body, [...(counts.get(ev.plaintext.body) ?? []), who]);
      }
    }
    let replyTo: Quote | null = null;
    const r = t.plaintext.replyTo;
    if (r) {
      const q = texts.get(keyOf(r));
      if (!q) replyTo = { id: r.id, sender: null, body: null, state: 'unavailable' };
      else if (deleted.has(keyOf(r))) replyTo = { id: r.id, sender: q.sender, body: null, state: 'deleted' };
      else replyTo = { id: r.id, sender: q.sender, body: bodyOf(keyOf(r), q), state: 'shown' };
    }
    out.set(t.hash, {
      body: bodyOf(k, t),
      edited: !isDeleted && edits.has(k),
      deleted: isDeleted,
      reactions: [...counts].map(([emoji, by]) => ({ emoji, by: by.sort() })).sort((a, b) => b.by.length - a.by.length || (a.emoji < b.emoji ? -1 : 1)),
      readBy: [...(readBy.get(t.hash) ?? [])].sort(),
      replyTo,
    });
  }
  return out;
}

/** EVT1: the largest number of message ids one read receipt names (LIMITS.maxRefs, as a delivery receipt). */
export const MAX_READ_REFS = LIMITS.maxRefs;
