import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, Identity } from '../../protocol/src/index.ts';
import { call, createConversation, login, register, send, startApp, type Conv, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

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
        expect(res.status).toBe(201);
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
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.json.seq))).toEqual(new Set([2]));
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
