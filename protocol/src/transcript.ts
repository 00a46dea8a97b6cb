// Receiver-side transcript (TR1..TR8, R1, T4): pure, synchronous and immutable.
// Per sender it remembers the highest counter accepted, that message's hash,
// the counters skipped on the way, and for a skipped counter the hash its
// successor promised, so a late copy can be checked against it.
import { LIMITS } from './rules.ts';

export type TranscriptVerdict = 'ok' | 'replayed' | 'gap' | 'reordered' | 'fork';

export interface SenderState {
  /** Highest counter accepted from this sender (0 before the first). */
  counter: number;
  /** envelopeHash of the message at `counter`. */
  hash: string;
  /** Counters below `counter` not yet seen, ascending, at most LIMITS.maxMissing. */
  missing: number[];
  /** For a missing counter c: the prevHash carried by the accepted message c + 1. */
  expected?: Record<string, string>;
}

export interface TranscriptState {
  senders: Record<string, SenderState>;
}

export interface ObservedHeader {
  sender: string;
  counter: number;
  prevHash: string | null;
  clientMessageId: string;
}

export function emptyTranscript(): TranscriptState {
  return { senders: {} };
}

type Result = { state: TranscriptState; verdict: TranscriptVerdict; missing?: number[] };

function withSender(state: TranscriptState, sender: string, s: SenderState): TranscriptState {
  return { senders: { ...state.senders, [sender]: s } };
}

function withExpected(s: SenderState, counter: number, prevHash: string | null): Record<string, string> | undefined {
  // Only a missing predecessor needs remembering; a seen one was already checked.
  if (prevHash === null || !s.missing.includes(counter - 1)) return s.expected;
  return { ...s.expected, [String(counter - 1)]: prevHash };
}

/**
 * Feed one opened envelope (its header and envelopeHash). Verdicts:
 * - ok: the next counter and its prevHash is the hash we hold (TR2);
 * - gap: counters were skipped; they are listed in `missing` (TR3);
 * - reordered: a missing counter arrived late and fits its successor (TR4);
 * - replayed: a counter already accepted, same message or not (TR5);
 * - fork: the chain contradicts what was accepted (TR6).
 * Only 'ok', 'gap' and 'reordered' change the state; a replay or fork never
 * displaces what was accepted first.
 */
export function observe(state: TranscriptState, env: ObservedHeader, hash: string): Result {
  const cur = state.senders[env.sender];
  const c = env.counter;
  if (cur === undefined || c > cur.counter) {
    const last = cur?.counter ?? 0;
    const base: SenderState = cur ?? { counter: 0, hash: '', missing: [] };
    if (c === last + 1) {
      // TR2: the next message must name the hash of the one before (none for the first).
      const want = last === 0 ? null : base.hash;
      if (env.prevHash !== want) return { state, verdict: 'fork' };
      const next: SenderState = { counter: c, hash, missing: base.missing };
      if (base.expected !== undefined) next.expected = base.expected;
      return { state: withSender(state, env.sender, next), verdict: 'ok' };
    }
    // TR3: skipped counters; a sender's counter may be huge, so only the newest
    // LIMITS.maxMissing are remembered and no array is built beyond that.
    const from = Math.max(last + 1, c - LIMITS.maxMissing);
    const added: number[] = [];
    for (let k = from; k < c; k++) added.push(k);
    const missing = [...base.missing, ...added].slice(-LIMITS.maxMissing);
    const next: SenderState = { counter: c, hash, missing };
    const expected = withExpected({ ...base, missing }, c, env.prevHash);
    if (expected !== undefined) next.expected = pruneExpected(expected, missing);
    return { state: withSender(state, env.sender, next), verdict: 'gap', missing: added };
  }
  if (c === cur.counter) {
    return { state, verdict: hash === cur.hash ? 'replayed' : 'fork' };
  }
  if (cur.missing.includes(c)) {
    // TR4: a late arrival must be the message its successor pointed at, if known.
    const promised = cur.expected?.[String(c)];
    if (promised !== undefined && promised !== hash) return { state, verdict: 'fork' };
    const missing = cur.missing.filter((k) => k !== c);
    const next: SenderState = { counter: cur.counter, hash: cur.hash, missing };
    const expected = withExpected(cur, c, env.prevHash);
    if (expected !== undefined) {
      const pruned = pruneExpected(expected, missing);
      if (Object.keys(pruned).length > 0) next.expected = pruned;
    }
    return { state: withSender(state, env.sender, next), verdict: 'reordered' };
  }
  // TR5: an old counter already accepted (or older than we remember).
  return { state, verdict: 'replayed' };
}

function pruneExpected(e: Record<string, string>, missing: readonly number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(e)) if (missing.includes(Number(k))) out[k] = e[k]!;
  return out;
}
