import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createEpoch, type Identity } from '../../protocol/src/index.ts';
import { Conv, call, createConversation, login, register, send, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

describe('conversations, the append-only log and sync', () => {
  let app: TestApp;
  let alice: Identity, bob: Identity, carol: Identity, mallory: Identity;
  let ta: string, tb: string, tc: string, tm: string;

  beforeAll(async () => {
    app = await startApp();
    [alice, bob, carol, mallory] = await Promise.all([identity('alice'), identity('bob'), identity('carol'), identity('mallory')]);
    for (const id of [alice, bob, carol, mallory]) await register(app.server, id);
    [ta, tb, tc, tm] = await Promise.all([alice, bob, carol, mallory].map(async (id) => (await login(app.server, id)).token)) as [string, string, string, string];
  });
  afterAll(async () => app?.close());

  describe('POST /api/v1/conversations', () => {
    it('creates a conversation (seq 1 is the epoch 0 record); the same record again is 200', async () => {
      const conv = new Conv();
      const record = await conv.makeEpoch(alice, [alice, bob]);
      const first = await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: record } });
      expect(first.status).toBe(201);
      expect(first.json).toEqual({ conversationId: conv.id, seq: 1 });
      const again = await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: record } });
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ conversationId: conv.id, seq: 1 });
      const list = await call(app.server, 'GET', '/api/v1/conversations', { token: tb });
      expect(list.json.conversations).toContainEqual({ conversationId: conv.id, latestSeq: 1, latestEpoch: 0, latestAt: expect.any(Number), members: ['alice', 'bob'] });
    });

    it('GET /conversations says when each latest entry was stored (latestAt): the most recent conversation comes out newest', async () => {
      const older = await createConversation(app.server, ta, alice, [alice, carol]);
      const newer = await createConversation(app.server, ta, alice, [alice, carol]);
      await new Promise((r) => setTimeout(r, 5)); // distinct milliseconds, not a timed assertion
      expect((await send(app.server, ta, older, await older.seal(alice, 'later'))).status).toBe(201);
      const list = (await call(app.server, 'GET', '/api/v1/conversations', { token: tc })).json.conversations as { conversationId: string; latestSeq: number; latestAt: number }[];
      const o = list.find((c) => c.conversationId === older.id)!;
      const n = list.find((c) => c.conversationId === newer.id)!;
      expect(o.latestSeq).toBe(2);
      expect(o.latestAt).toBeGreaterThan(n.latestAt);
      const stored = (await call(app.server, 'GET', `/api/v1/conversations/${older.id}/log?after=1`, { token: tc })).json.entries[0];
      expect(o.latestAt).toBe(Math.floor(Date.parse(stored.createdAt)));
    });

    it('refuses another record under an existing id: 409 conversation_exists', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      const other = new Conv(conv.id);
      const record = await other.makeEpoch(alice, [alice, carol]);
      const res = await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: record } });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('conversation_exists');
    });

    it('refuses a record made by someone else than the caller (403 creator_mismatch)', async () => {
      const conv = new Conv();
      const record = await conv.makeEpoch(alice, [alice, bob]);
      const res = await call(app.server, 'POST', '/api/v1/conversations', { token: tm, payload: { epochRecord: record } });
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('creator_mismatch');
    });

    it('refuses unregistered members (400 unknown_member) and malformed records (400)', async () => {
      const ghost = await identity('trent', 'ghost');
      const conv = new Conv();
      const record = await conv.makeEpoch(alice, [alice, ghost]);
      const res = await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: record } });
      expect(res.json.error.code).toBe('unknown_member');
      const conv2 = new Conv();
      const good = await conv2.makeEpoch(alice, [alice, bob]);
      const bad = { ...good, keyCommitment: 'AAAA' };
      const res2 = await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: bad } });
      expect(res2.status).toBe(400);
      expect(res2.json.error.code).toBe('invalid_epoch_record');
    });
  });

  describe('POST /api/v1/conversations/{id}/messages', () => {
    it('appends with gap-free seqs; a retry returns the stored seq; other content is 409', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      const e1 = await conv.seal(alice, 'one');
      const r1 = await send(app.server, ta, conv, e1);
      expect(r1.status).toBe(201);
      expect(r1.json).toEqual({ seq: 2, duplicate: false });
      const r2 = await send(app.server, tb, conv, await conv.seal(bob, 'two'));
      expect(r2.json).toEqual({ seq: 3, duplicate: false });
      const retry = await send(app.server, ta, conv, e1);
      expect(retry.status).toBe(200);
      expect(retry.json).toEqual({ seq: 2, duplicate: true });
      const forged = await conv.seal(alice, 'other content', e1.clientMessageId);
      const conflict = await send(app.server, ta, conv, forged);
      expect(conflict.status).toBe(409);
      expect(conflict.json.error.code).toBe('client_id_conflict');
      const log = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log?after=0`, { token: tb });
      expect(log.status).toBe(200);
      expect(log.json.entries.map((e: { seq: number; kind: string }) => [e.seq, e.kind])).toEqual([[1, 'epoch'], [2, 'message'], [3, 'message']]);
      expect(log.json.entries[1].body).toEqual(e1);
      expect(log.json).toMatchObject({ nextAfter: 3, hasMore: false });
    });

    it('G3/T3: refuses an envelope whose sender is not the caller (403 sender_mismatch)', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      const res = await send(app.server, tb, conv, await conv.seal(alice));
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('sender_mismatch');
    });

    it('refuses an envelope for another conversation, of a future epoch, or malformed', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      const other = await createConversation(app.server, ta, alice, [alice, bob]);
      const mismatch = await send(app.server, ta, conv, await other.seal(alice));
      expect(mismatch.json.error.code).toBe('conversation_mismatch');
      const env = await conv.seal(alice);
      const future = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: ta, payload: { envelope: { ...env, epoch: 5 } } });
      expect(future.status).toBe(409);
      expect(future.json.error.code).toBe('unknown_epoch');
      const bucket = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: ta, payload: { envelope: { ...env, encryptedContent: 'AAAA' } } });
      expect(bucket.status).toBe(400);
      expect(bucket.json.error.code).toBe('invalid_envelope');
      const extra = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: ta, payload: { envelope: { ...env, extra: 1 } } });
      expect(extra.status).toBe(400);
    });

    it('caps envelope size: 413 envelope_too_large', async () => {
      const small = await startApp({ config: { maxEnvelopeBytes: 2048 }, testDb: undefined });
      try {
        await register(small.server, alice);
        const { token } = await login(small.server, alice);
        const conv = await createConversation(small.server, token, alice, [alice]);
        const big = await conv.seal(alice, 'x'.repeat(3000));
        const res = await send(small.server, token, conv, big);
        expect(res.status).toBe(413);
        expect(res.json.error.code).toBe('envelope_too_large');
      } finally {
        await small.close();
      }
    });

    it('log_entries is append-only in the database itself', async () => {
      await createConversation(app.server, ta, alice, [alice]);
      await expect(app.testDb.query("UPDATE log_entries SET kind = 'message'")).rejects.toThrow(/append-only/);
      await expect(app.testDb.query('DELETE FROM log_entries')).rejects.toThrow(/append-only/);
      await expect(app.testDb.query('TRUNCATE log_entries CASCADE')).rejects.toThrow(/append-only/);
    });
  });

  describe('epochs and membership', () => {
    it('M1: a member adds someone; the newcomer reads; a removed member is 404 from then on', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      await send(app.server, tb, conv, await conv.seal(bob, 'before carol'));
      expect((await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tc })).status).toBe(404);
      const e1 = await conv.makeEpoch(alice, [alice, bob, carol]);
      const r = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e1 } });
      expect(r.status).toBe(201);
      expect(r.json).toEqual({ seq: 3 });
      const retry = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e1 } });
      expect(retry.status).toBe(200);
      expect(retry.json).toEqual({ seq: 3 });
      expect((await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tc })).json.entries).toHaveLength(3);
      expect((await send(app.server, tc, conv, await conv.seal(carol))).status).toBe(201);
      // bob is removed in epoch 2
      const e2 = await conv.makeEpoch(carol, [alice, carol]);
      expect((await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: tc, payload: { epochRecord: e2 } })).status).toBe(201);
      const gone = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tb });
      expect(gone.status).toBe(404);
      expect((await send(app.server, tb, conv, await conv.seal(bob))).status).toBe(404);
      const list = await call(app.server, 'GET', '/api/v1/conversations', { token: tb });
      expect(list.json.conversations.map((c: { conversationId: string }) => c.conversationId)).not.toContain(conv.id);
    });

    it('GRP1 GRP6: stores a group record (admins, sealed name) as sent; a member leaves with the one record it is not in, and is 404 from then on', async () => {
      const id = randomUUID();
      const group = { name: 'Team', admins: ['alice'] };
      const e0 = (await createEpoch({ conversationId: id, epoch: 0, creator: alice, members: [alice.public, bob.public, carol.public], previous: null, group })).record;
      expect((await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: e0 } })).status).toBe(201);
      const stored = (await call(app.server, 'GET', `/api/v1/conversations/${id}/log`, { token: tb })).json.entries[0].body;
      expect(stored).toEqual(e0);
      // admins without meta is no group record
      const { meta: _meta, ...half } = (await createEpoch({ conversationId: randomUUID(), epoch: 0, creator: alice, members: [alice.public, bob.public], previous: null, group })).record;
      expect((await call(app.server, 'POST', '/api/v1/conversations', { token: ta, payload: { epochRecord: half } })).status).toBe(400);
      const leave = (await createEpoch({ conversationId: id, epoch: 1, creator: bob, members: [alice.public, carol.public], previous: e0, group })).record;
      expect((await call(app.server, 'POST', `/api/v1/conversations/${id}/epochs`, { token: tb, payload: { epochRecord: leave } })).status).toBe(201);
      expect((await call(app.server, 'GET', `/api/v1/conversations/${id}/log`, { token: tb })).status).toBe(404);
      expect((await call(app.server, 'GET', `/api/v1/conversations/${id}/log`, { token: tc })).json.entries).toHaveLength(2);
      // outside a group, the creator of a record is one of its members
      const conv = await createConversation(app.server, ta, alice, [alice, bob, carol]);
      const { record: notIn } = await createEpoch({ conversationId: conv.id, epoch: 1, creator: alice, members: [alice.public, carol.public], previous: conv.record });
      const forged = { ...notIn, creator: 'bob' };
      const res = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: tb, payload: { epochRecord: forged } });
      expect(res.json.error.code).toBe('creator_not_member');
    });

    it('refuses a stale or skipped epoch (409 epoch_conflict) and a non-member (404)', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice, bob]);
      const e1 = await conv.makeEpoch(alice, [alice, bob]);
      const e2 = await conv.makeEpoch(alice, [alice, bob]);
      const skipped = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e2 } });
      expect(skipped.status).toBe(409);
      expect(skipped.json.error.code).toBe('epoch_conflict');
      expect((await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e1 } })).status).toBe(201);
      // bob makes a competing epoch 1: a conflict
      const rival = new Conv(conv.id);
      await rival.makeEpoch(alice, [alice, bob]);
      const rival1 = await rival.makeEpoch(bob, [alice, bob]);
      const conflict = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: tb, payload: { epochRecord: rival1 } });
      expect(conflict.json.error.code).toBe('epoch_conflict');
      const m = new Conv(conv.id);
      await m.makeEpoch(mallory, [mallory]);
      const mallory1 = await m.makeEpoch(mallory, [mallory]);
      const res = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: tm, payload: { epochRecord: mallory1 } });
      expect(res.status).toBe(404);
    });
  });

  describe('POST /api/v1/messages/batch', () => {
    it('stores, reports duplicates and rejects bad envelopes one by one, in request order', async () => {
      const c1 = await createConversation(app.server, ta, alice, [alice, bob]);
      const c2 = await createConversation(app.server, ta, alice, [alice, carol]);
      const a = await c1.seal(alice, 'a');
      const b = await c2.seal(alice, 'b');
      await send(app.server, ta, c1, a);
      const foreign = await createConversation(app.server, tb, bob, [bob]);
      const notMine = await foreign.seal(alice);
      const envelopes = [a, b, { ...b, clientMessageId: randomUUID(), iv: 'short' }, await c1.seal(bob), notMine, { junk: true }];
      const res = await call(app.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes } });
      expect(res.status).toBe(200);
      expect(res.json.results.map((r: { status: string; seq?: number; error?: { code: string } }) => [r.status, r.seq ?? r.error?.code])).toEqual([
        ['duplicate', 2],
        ['stored', 2],
        ['rejected', 'invalid_envelope'],
        ['rejected', 'sender_mismatch'],
        ['rejected', 'not_found'],
        ['rejected', 'invalid_envelope'],
      ]);
      expect(res.json.results[0]).toMatchObject({ clientMessageId: a.clientMessageId, conversationId: c1.id });
    });

    it('refuses more than 500 envelopes and an empty batch', async () => {
      const over = await call(app.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes: Array.from({ length: 501 }, () => ({})) } });
      expect(over.status).toBe(400);
      expect((await call(app.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes: [] } })).status).toBe(400);
    });
  });

  describe('sync', () => {
    it('pages through every conversation in (conversation, seq) order with cursors', async () => {
      const dave = await identity('dave');
      await register(app.server, dave);
      const { token: td } = await login(app.server, dave);
      const convs = [await createConversation(app.server, td, dave, [dave, alice]), await createConversation(app.server, td, dave, [dave])];
      for (const conv of convs) for (let i = 0; i < 7; i++) expect((await send(app.server, td, conv, await conv.seal(dave, `m${i}`))).status).toBe(201);
      const seen: [string, number][] = [];
      let cursors: Record<string, number> = {};
      for (let page = 0; page < 10; page++) {
        const res = await call(app.server, 'POST', '/api/v1/sync', { token: td, payload: { cursors, limit: 5 } });
        expect(res.status).toBe(200);
        for (const e of res.json.entries) seen.push([e.conversationId, e.seq]);
        cursors = res.json.cursors;
        if (!res.json.hasMore) break;
      }
      const ids = convs.map((c) => c.id).sort();
      expect(seen).toEqual(ids.flatMap((id) => Array.from({ length: 8 }, (_, i) => [id, i + 1])));
      expect(cursors).toEqual(Object.fromEntries(ids.map((id) => [id, 8])));
      const none = await call(app.server, 'POST', '/api/v1/sync', { token: td, payload: { cursors } });
      expect(none.json).toEqual({ entries: [], cursors, hasMore: false });
    });

    it('GET log pages with after and limit', async () => {
      const conv = await createConversation(app.server, ta, alice, [alice]);
      for (let i = 0; i < 5; i++) await send(app.server, ta, conv, await conv.seal(alice));
      const p1 = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log?after=1&limit=2`, { token: ta });
      expect(p1.json.entries.map((e: { seq: number }) => e.seq)).toEqual([2, 3]);
      expect(p1.json).toMatchObject({ nextAfter: 3, hasMore: true });
      const bad = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log?limit=5000`, { token: ta });
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('invalid_request');
    });
  });
});
