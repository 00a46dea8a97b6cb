// Conversation events (SPEC §8a, EVT2..EVT7): read receipts, replies, reactions, edits and
// deletes are ordinary signed and encrypted messages (ENV1) whose plaintext names the message
// they are about (checked by event-fields.ts). `foldEvents` turns a conversation's accepted
// messages into what each text message shows. Pure: no I/O, and no server order: the fold
// never looks at log sequence numbers, only at signed content and each sender's own chain.
import type { MessagePlaintext, MessageRef } from './types.ts';

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
