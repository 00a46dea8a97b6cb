import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, Identity } from '../../protocol/src/index.ts';
import { Conv, call, createConversation, login, register, send, startApp, type TestApp } from './support/app.ts';
import { identity } from './support/identities.ts';

describe('ordering under concurrent appends', () => {
  let app: TestApp;
  let alice: Identity, bob: Identity;
  let ta: string, tb: string;

  beforeAll(async () => {
    app = await startApp();
    [alice, bob] = await Promise.all([identity('alice'), identity('bob')]);
    await register(app.server, alice);
    await register(app.server, bob);
    ta = (await login(app.server, alice)).token;
    tb = (await login(app.server, bob)).token;
  });
  afterAll(async () => app?.close());

  it('a reader polling "after N" never skips an entry while 400 appends race (gap-free, commit order)', async () => {
    const conv = await createConversation(app.server, ta, alice, [alice, bob]);
    const N = 400;
    const envelopes: Envelope[] = [];
    for (let i = 0; i < N; i++) envelopes.push(await conv.seal(i % 2 ? bob : alice, `m${i}`));
    const seen: number[] = [];
    let done = false;
    const reader = (async () => {
      let after = 0;
      while (true) {
        const finished = done;
        const res = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log?after=${after}&limit=1000`, { token: tb });
        for (const e of res.json.entries) {
          // "after N" must never miss an entry that commits later with a lower number.
          expect(e.seq).toBe(after + 1);
          seen.push(e.seq);
          after = e.seq;
        }
        if (finished && !res.json.hasMore) break;
      }
    })();
    // 32 concurrent writers through the group-commit queue, and a few retries.
    let next = 0;
    const writers = Array.from({ length: 32 }, async () => {
      while (next < N) {
        const i = next++;
        const env = envelopes[i]!;
        const res = await send(app.server, env.sender === 'alice' ? ta : tb, conv, env);
        expect(res.statusCode).toBe(201);
        if (i % 50 === 0) expect((await send(app.server, env.sender === 'alice' ? ta : tb, conv, env)).json).toEqual({ seq: res.json.seq, duplicate: true });
      }
    });
    await Promise.all(writers);
    done = true;
    await reader;
    expect(seen).toEqual(Array.from({ length: N + 1 }, (_, i) => i + 1));
    const stored = await app.testDb.query('SELECT count(*)::int AS n, max(seq)::int AS m FROM log_entries WHERE conversation_id = $1', [conv.id]);
    expect(stored.rows[0]).toEqual({ n: N + 1, m: N + 1 });
  });

  it('the same clientMessageId sent concurrently is stored once', async () => {
    const conv: Conv = await createConversation(app.server, ta, alice, [alice]);
    const env = await conv.seal(alice);
    const results = await Promise.all(Array.from({ length: 16 }, () => send(app.server, ta, conv, env)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.json.seq))).toEqual(new Set([2]));
  });

  it('epoch appends racing message appends share one gap-free seq; of two rival epoch 1 records one wins; a retried record keeps its seq', async () => {
    const conv = await createConversation(app.server, ta, alice, [alice, bob]);
    const messages: Envelope[] = [];
    for (let i = 0; i < 40; i++) messages.push(await conv.seal(i % 2 ? bob : alice, `m${i}`));
    const e1 = await conv.makeEpoch(alice, [alice, bob]);
    const rival = new Conv(conv.id);
    await rival.makeEpoch(alice, [alice, bob]);
    const r1 = await rival.makeEpoch(bob, [alice, bob]);
    const postEpoch = (token: string, epochRecord: unknown) => call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token, payload: { epochRecord } });
    const [sent, epochs] = await Promise.all([
      Promise.all(messages.map((m) => send(app.server, m.sender === 'alice' ? ta : tb, conv, m))),
      Promise.all([postEpoch(ta, e1), postEpoch(tb, r1), postEpoch(ta, e1), postEpoch(ta, e1)]),
    ]);
    for (const r of sent) expect(r.statusCode).toBe(201);
    const codes = epochs.map((r) => r.statusCode);
    const winner = codes[1] === 201 ? 'rival' : 'ours';
    if (winner === 'ours') {
      // e1 was stored once; its retries answer 200 with the same seq; bob's rival is a conflict.
      expect(codes.filter((c) => c === 201)).toHaveLength(1);
      expect(codes.filter((c) => c === 200)).toHaveLength(2);
      expect(new Set([0, 2, 3].map((i) => epochs[i]!.json.seq)).size).toBe(1);
      expect(epochs[1]!.json.error.code).toBe('epoch_conflict');
    } else {
      for (const i of [0, 2, 3]) expect(epochs[i]!.json.error.code).toBe('epoch_conflict');
    }
    const rows = await app.testDb.query('SELECT seq, kind, epoch FROM log_entries WHERE conversation_id = $1 ORDER BY seq', [conv.id]);
    expect(rows.rows.map((r: { seq: string }) => Number(r.seq))).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expect(rows.rows.filter((r: { kind: string }) => r.kind === 'epoch').map((r: { epoch: number }) => r.epoch)).toEqual([0, 1]);
    const head = await app.testDb.query('SELECT last_seq::int AS "lastSeq", latest_epoch AS "latestEpoch" FROM conversations WHERE id = $1', [conv.id]);
    expect(head.rows[0]).toEqual({ lastSeq: 42, latestEpoch: 1 });
  });

  it('concurrent batches across conversations keep every log gap-free', async () => {
    const convs = await Promise.all([0, 1, 2].map(() => createConversation(app.server, ta, alice, [alice, bob])));
    const batches: Envelope[][] = [];
    for (let b = 0; b < 12; b++) {
      const batch: Envelope[] = [];
      for (let i = 0; i < 20; i++) batch.push(await convs[(b + i) % 3]!.seal(alice));
      batches.push(batch);
    }
    const res = await Promise.all(batches.map((envelopes) => call(app.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes } })));
    for (const r of res) expect(r.json.results.every((x: { status: string }) => x.status === 'stored')).toBe(true);
    for (const c of convs) {
      const rows = await app.testDb.query('SELECT seq FROM log_entries WHERE conversation_id = $1 ORDER BY seq', [c.id]);
      expect(rows.rows.map((r: { seq: string }) => Number(r.seq))).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    }
  });
});
