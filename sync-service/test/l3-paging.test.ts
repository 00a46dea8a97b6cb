// THREATS L3: no number of conversations turns into a refusal. A user put into 20,000
// conversations (made here with one SQL insert, as a flood of POST /conversations would)
// still receives a new message from a contact over POST /sync and over the WebSocket, and
// no request names more than one window of cursors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURSOR_WINDOW, cursorWindows, encodeFrame } from '../../protocol/src/frames.ts';
import type { Identity } from '../../protocol/src/index.ts';
import { ORIGIN, Conv, call, login, register, send, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';
import { openWs } from '../../test/support/ws.ts';

const FLOOD = 20_000;

describe('L3 paging: a user in 20,000 conversations still receives', () => {
  let app: TestApp;
  let alice: Identity, bob: Identity, mallory: Identity;
  let ta: string, tb: string;
  let conv: Conv;
  /** What alice's device holds: every flood conversation at seq 1, bob's at 2. */
  let held: Record<string, number>;

  beforeAll(async () => {
    app = await startApp({ listen: true });
    [alice, bob, mallory] = await Promise.all([identity('alice'), identity('bob'), identity('mallory')]);
    for (const id of [alice, bob, mallory]) await register(app.server, id);
    ta = (await login(app.server, alice)).token;
    tb = (await login(app.server, bob)).token;
    // Mallory's flood: 20,000 conversations with alice, each with its epoch 0 entry.
    await app.testDb.query(`
      WITH a AS (SELECT id FROM users WHERE user_id = 'alice'), m AS (SELECT id FROM users WHERE user_id = 'mallory'),
      ids AS (SELECT 'flood-' || lpad(n::text, 5, '0') AS id FROM generate_series(1, ${FLOOD}) n),
      c AS (INSERT INTO conversations (id, created_by, last_seq, latest_epoch) SELECT ids.id, m.id, 1, 0 FROM ids, m RETURNING id),
      e AS (INSERT INTO log_entries (conversation_id, seq, kind, client_id, sender_id, epoch, body, body_sha256)
            SELECT c.id, 1, 'epoch', 'epoch:0', m.id, 0, '{"type":"epoch"}'::jsonb, '\\x00'::bytea FROM c, m RETURNING conversation_id)
      INSERT INTO conversation_members (conversation_id, user_id)
      SELECT c.id, u.id FROM c, (SELECT id FROM a UNION ALL SELECT id FROM m) u`);
    // Bob's conversation sorts after every flood id: it is in the last window.
    conv = new Conv(`zz-${crypto.randomUUID()}`);
    const created = await call(app.server, 'POST', '/api/v1/conversations', { token: tb, payload: { epochRecord: await conv.makeEpoch(bob, [bob, alice]) } });
    expect(created.status).toBe(201);
    expect((await send(app.server, tb, conv, await conv.seal(bob, 'hello'))).status).toBe(201);
    held = Object.fromEntries(Array.from({ length: FLOOD }, (_, i) => [`flood-${String(i + 1).padStart(5, '0')}`, 1]));
    held[conv.id] = 2;
  }, 120_000);
  afterAll(async () => app?.close());

  it('L3 POST /sync pages by conversation windows: each request names at most one window of cursors, and the new message arrives', async () => {
    expect((await send(app.server, tb, conv, await conv.seal(bob, 'are you there?'))).status).toBe(201);
    const got: [string, number][] = [];
    let after: string | undefined;
    let requests = 0;
    for (;;) {
      const [w] = cursorWindows(Object.fromEntries(Object.entries(held).filter(([id]) => after === undefined || id > after)));
      expect(Object.keys(w!.cursors).length).toBeLessThanOrEqual(CURSOR_WINDOW);
      const res = await call(app.server, 'POST', '/api/v1/sync', { token: ta, payload: { cursors: w!.cursors, ...(after ? { after } : {}), ...(w!.until ? { until: w!.until } : {}) } });
      expect(res.status).toBe(200);
      requests++;
      for (const e of res.json.entries) got.push([e.conversationId, e.seq]);
      expect(Object.keys(res.json.cursors).length).toBeLessThanOrEqual(CURSOR_WINDOW);
      if (!res.json.hasMore) break;
      after = res.json.nextAfter ?? undefined;
      expect(requests).toBeLessThan(100);
    }
    expect(got).toEqual([[conv.id, 3]]);
    expect(requests).toBeGreaterThanOrEqual(FLOOD / CURSOR_WINDOW);
  });

  it('L3 POST /sync from nothing walks at most one window per request and still reaches the last conversation', async () => {
    let after: string | undefined;
    const seen = new Set<string>();
    for (let requests = 0; ; requests++) {
      expect(requests).toBeLessThan(200);
      const res = await call(app.server, 'POST', '/api/v1/sync', { token: ta, payload: { cursors: {}, limit: 1000, ...(after ? { after } : {}) } });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json.cursors).length).toBeLessThanOrEqual(CURSOR_WINDOW);
      for (const e of res.json.entries) seen.add(`${e.conversationId}/${e.seq}`);
      if (!res.json.hasMore) break;
      after = res.json.nextAfter ?? undefined;
    }
    expect(seen.size).toBe(FLOOD + 3);
    expect(seen.has(`${conv.id}/3`)).toBe(true);
  });

  it('L3 GET /conversations answers one page of at most 1,000 at a time, and the pages reach the last conversation', async () => {
    const ids: string[] = [];
    let after: string | undefined;
    for (let requests = 0; ; requests++) {
      expect(requests).toBeLessThan(100);
      const res = await call(app.server, 'GET', `/api/v1/conversations${after ? `?after=${after}` : ''}`, { token: ta });
      expect(res.status).toBe(200);
      expect(res.json.conversations.length).toBeLessThanOrEqual(1000);
      ids.push(...res.json.conversations.map((c: { conversationId: string }) => c.conversationId));
      if (!res.json.hasMore) break;
      expect(res.json.nextAfter).toBe(ids.at(-1));
      after = res.json.nextAfter;
    }
    expect(ids).toHaveLength(FLOOD + 1);
    expect(new Set(ids).size).toBe(FLOOD + 1);
    expect(ids.at(-1)).toBe(conv.id);
    expect((await call(app.server, 'GET', '/api/v1/conversations?limit=1001', { token: ta })).status).toBe(400);
  });

  it('L3 the WebSocket subscribes in windows (auth, then subscribe frames) and pushes the new message live', async () => {
    const client = await openWs(`ws://127.0.0.1:${app.server.info.port}/api/v1/ws`, ORIGIN);
    const cursors = { ...held, [conv.id]: 3 };
    const [first, ...rest] = cursorWindows(cursors);
    expect(rest.length).toBeGreaterThanOrEqual(FLOOD / CURSOR_WINDOW - 1);
    client.ws.send(encodeFrame({ type: 'auth', token: ta, cursors: first!.cursors, until: first!.until! }));
    expect(await client.next((m) => m.type === 'ready' || m.type === 'error', 20_000)).toEqual({ type: 'ready', v: 1 });
    for (const w of rest) client.ws.send(encodeFrame({ type: 'subscribe', after: w.after!, cursors: w.cursors, ...(w.until ? { until: w.until } : {}) }));
    // The last window has no `until`: every conversation is subscribed once it is answered.
    await client.next((m) => (m.type === 'subscribed' && m.until === undefined) || m.type === 'error', 60_000);
    expect(client.messages.filter((m) => m.type === 'error')).toEqual([]);
    const env = await conv.seal(bob, 'live');
    expect((await send(app.server, tb, conv, env)).status).toBe(201);
    const live = await client.next((m) => m.type === 'entry', 10_000);
    expect(live).toMatchObject({ conversationId: conv.id, seq: 4, kind: 'message', body: { clientMessageId: env.clientMessageId } });
    client.ws.close();
  });

  it('L3 a subscribe window that does not follow the previous one is refused by name, and the socket stays open', async () => {
    const client = await openWs(`ws://127.0.0.1:${app.server.info.port}/api/v1/ws`, ORIGIN);
    client.ws.send(encodeFrame({ type: 'auth', token: ta, cursors: {}, until: 'flood-00010' }));
    await client.next((m) => m.type === 'ready', 20_000);
    client.ws.send(encodeFrame({ type: 'subscribe', after: 'flood-00500', cursors: {} }));
    expect(await client.next((m) => m.type === 'error', 10_000)).toEqual({ type: 'error', code: 'invalid_message', v: 1 });
    client.ws.send(encodeFrame({ type: 'ping' }));
    expect(await client.next((m) => m.type === 'pong', 10_000)).toEqual({ type: 'pong', v: 1 });
    client.ws.close();
  });
});
