import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emptyTranscript, observe, type TranscriptState, type TranscriptVerdict } from '../src/index.ts';

const h = (s: string, n: number): string => `${s}${n}`.padEnd(64, '0');
const msg = (sender: string, counter: number, tag = 'h') => ({
  env: { sender, counter, prevHash: counter === 1 ? null : h(tag === 'h' ? 'h' : 'h', counter - 1), clientMessageId: `id-${counter}` },
  hash: h(tag, counter),
});

function feed(seq: { sender: string; counter: number; prevHash: string | null; hash: string }[]): TranscriptVerdict[] {
  let st: TranscriptState = emptyTranscript();
  return seq.map((m) => {
    const r = observe(st, { sender: m.sender, counter: m.counter, prevHash: m.prevHash, clientMessageId: 'x' }, m.hash);
    st = r.state;
    return r.verdict;
  });
}
const honest = (c: number) => ({ sender: 'a', counter: c, prevHash: c === 1 ? null : h('h', c - 1), hash: h('h', c) });

describe('transcript', () => {
  it('TR1, TR2: an honest chain is ok throughout and state is never mutated', () => {
    const st0 = emptyTranscript();
    const r = observe(st0, msg('a', 1).env, msg('a', 1).hash);
    expect(r.verdict).toBe('ok');
    expect(st0).toEqual({ senders: {} });
    expect(feed([1, 2, 3, 4].map(honest))).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('TR3, R1: a dropped message is a gap naming the missing counters', () => {
    let st = emptyTranscript();
    st = observe(st, msg('a', 1).env, msg('a', 1).hash).state;
    const r = observe(st, msg('a', 4).env, msg('a', 4).hash);
    expect(r.verdict).toBe('gap');
    expect(r.missing).toEqual([2, 3]);
    expect(r.state.senders.a!.missing).toEqual([2, 3]);
  });

  it('TR4, R1: a late message fills its gap as reordered; its successor\'s prevHash is checked', () => {
    expect(feed([honest(1), honest(3), honest(2)])).toEqual(['ok', 'gap', 'reordered']);
    expect(feed([honest(1), honest(3), { ...honest(2), hash: h('x', 2) }])).toEqual(['ok', 'gap', 'fork']);
  });

  it('TR5, R1, T4: a replay of an accepted message is replayed, never ok again', () => {
    expect(feed([honest(1), honest(2), honest(2), honest(1)])).toEqual(['ok', 'ok', 'replayed', 'replayed']);
  });

  it('TR6, R1: two different messages with one counter, or a broken prevHash, are a fork', () => {
    expect(feed([honest(1), honest(2), { ...honest(2), hash: h('x', 2) }])).toEqual(['ok', 'ok', 'fork']);
    expect(feed([honest(1), { ...honest(2), prevHash: h('x', 1) }])).toEqual(['ok', 'fork']);
    expect(feed([{ ...honest(1), prevHash: h('x', 0) }])).toEqual(['fork']);
  });

  it('TR7: senders are tracked independently', () => {
    const seq = [honest(1), { ...honest(1), sender: 'b' }, honest(2), { ...honest(3), sender: 'b' }];
    expect(feed(seq)).toEqual(['ok', 'ok', 'ok', 'gap']);
  });

  it('TR8: a huge counter jump keeps at most LIMITS.maxMissing missing counters', () => {
    let st = emptyTranscript();
    st = observe(st, msg('a', 1).env, msg('a', 1).hash).state;
    const r = observe(st, { sender: 'a', counter: 2 ** 50, prevHash: h('q', 0), clientMessageId: 'x' }, h('z', 0));
    expect(r.verdict).toBe('gap');
    expect(r.state.senders.a!.missing.length).toBe(1024);
  });

  it('TR1..TR6, R1, T4: property: verdicts match a full-knowledge model under any delivery order, replays and forgeries', () => {
    // Each step delivers honest message k of sender s, or a forgery at counter k (different hash).
    const step = fc.record({ sender: fc.constantFrom('a', 'b'), k: fc.integer({ min: 1, max: 8 }), forged: fc.boolean(), badPrev: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let st = emptyTranscript();
        // model: per sender, accepted counter -> {hash, prevHash}
        const accepted: Record<string, Map<number, { hash: string; prevHash: string | null }>> = { a: new Map(), b: new Map() };
        for (const s of steps) {
          const hash = s.forged ? h('f' + s.sender, s.k) : h(s.sender, s.k);
          const prevHash = s.k === 1 ? (s.badPrev && s.forged ? h('bad', 0) : null) : s.badPrev && s.forged ? h('bad', s.k) : h(s.sender, s.k - 1);
          const acc = accepted[s.sender]!;
          const max = acc.size === 0 ? 0 : Math.max(...acc.keys());
          let want: TranscriptVerdict;
          if (s.k > max) {
            if (s.k === max + 1) want = prevHash === (max === 0 ? null : acc.get(max)!.hash) ? 'ok' : 'fork';
            else want = 'gap';
          } else if (s.k === max) want = acc.get(max)!.hash === hash ? 'replayed' : 'fork';
          else if (acc.has(s.k)) want = 'replayed';
          else {
            const succ = acc.get(s.k + 1);
            want = succ !== undefined && succ.prevHash !== hash ? 'fork' : 'reordered';
          }
          if (want === 'ok' || want === 'gap' || want === 'reordered') acc.set(s.k, { hash, prevHash });
          const r = observe(st, { sender: s.sender, counter: s.k, prevHash, clientMessageId: 'x' }, hash);
          expect(r.verdict).toBe(want);
          st = r.state;
          // the state stays JSON-serialisable (the PWA persists it)
          expect(JSON.parse(JSON.stringify(st))).toEqual(st);
        }
      }),
      { numRuns: 500 },
    );
  });
});
