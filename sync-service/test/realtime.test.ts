import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeServerFrame, encodeFrame } from '../../protocol/src/frames.ts';
import type { Identity } from '../../protocol/src/index.ts';
import { ORIGIN, call, createConversation, login, send, startApp, type TestApp } from '../../test/support/service.ts';
import { twoInstances, type TwoInstances } from '../../test/support/two-instances.ts';
import { openWs, subscribe, wsUrl } from '../../test/support/ws.ts';

describe('realtime over WebSocket, two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  let alice: Identity, bob: Identity, carol: Identity;
  let ta: string, tb: string, tc: string;

  let two: TwoInstances | undefined;

  beforeAll(async () => {
    two = await twoInstances(['alice', 'bob', 'carol'], { realtime: { pingIntervalMs: 300 } });
    ({ a, b } = two);
    [alice, bob, carol] = two.users as [Identity, Identity, Identity];
    [ta, tb, tc] = two.tokens as [string, string, string];
  });
  afterAll(async () => two?.close());

  it('pushes catch-up then live entries sent on the other instance, in order', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    await send(a.server, ta, conv, await conv.seal(alice, 'before'));
    const client = await openWs(wsUrl(b), ORIGIN);
    client.ws.send(JSON.stringify({ type: 'auth', token: tb, cursors: {} }));
    expect(await client.next()).toEqual({ type: 'ready', v: 1 });
    const catchUp = [await client.next((m) => m.conversationId === conv.id), await client.next((m) => m.conversationId === conv.id)];
    expect(catchUp.map((m) => [m.type, m.seq, m.kind])).toEqual([['entry', 1, 'epoch'], ['entry', 2, 'message']]);
    const envs = [];
    for (let i = 0; i < 20; i++) envs.push(await conv.seal(alice, `live ${i}`));
    await Promise.all(envs.map((e) => send(a.server, ta, conv, e)));
    const live = [];
    for (let i = 0; i < 20; i++) live.push(await client.next((m) => m.conversationId === conv.id));
    expect(live.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    expect(new Set(live.map((m) => m.body.clientMessageId))).toEqual(new Set(envs.map((e) => e.clientMessageId)));
    client.ws.close();
  });

  it('resumes from the cursor on reconnect, with nothing twice', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    for (let i = 0; i < 3; i++) await send(a.server, ta, conv, await conv.seal(alice));
    const client = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 2 });
    const got = [await client.next((m) => m.conversationId === conv.id), await client.next((m) => m.conversationId === conv.id)];
    expect(got.map((m) => m.seq)).toEqual([3, 4]);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.messages.filter((m) => m.conversationId === conv.id)).toHaveLength(2);
    client.ws.close();
  });

  it('tells a user when they are added to a conversation, then pushes it', async () => {
    const client = await subscribe(wsUrl(b), ORIGIN, tc, {});
    const conv = await createConversation(a.server, ta, alice, [alice, carol]);
    expect(await client.next((m) => m.type === 'conversation')).toEqual({ type: 'conversation', conversationId: conv.id, v: 1 });
    expect(await client.next((m) => m.type === 'entry' && m.conversationId === conv.id)).toMatchObject({ seq: 1, kind: 'epoch' });
    await send(a.server, ta, conv, await conv.seal(alice));
    expect(await client.next((m) => m.type === 'entry' && m.conversationId === conv.id)).toMatchObject({ seq: 2, kind: 'message' });
    client.ws.close();
  });

  it('re-LISTENs after losing its Postgres connection and pushes what it missed', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const client = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    const notifier = b.server.app.realtime!.notifier;
    notifier.breakConnection();
    await send(a.server, ta, conv, await conv.seal(alice, 'during the outage'));
    expect(await client.next((m) => m.conversationId === conv.id, 8000)).toMatchObject({ seq: 2 });
    // The missed entry can come by the catch-up read before LISTEN is back: wait for that too.
    await expect.poll(() => notifier.connected, { timeout: 15_000 }).toBe(true);
    await send(a.server, ta, conv, await conv.seal(alice, 'after'));
    expect(await client.next((m) => m.conversationId === conv.id)).toMatchObject({ seq: 3 });
    client.ws.close();
  });

  it('M1: stops pushing a conversation to a member removed by a new epoch', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const client = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    await send(a.server, ta, conv, await conv.seal(alice, 'bob still reads this'));
    expect(await client.next((m) => m.conversationId === conv.id)).toMatchObject({ seq: 2 });
    const e1 = await conv.makeEpoch(alice, [alice]);
    expect((await call(a.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e1 } })).status).toBe(201);
    await send(a.server, ta, conv, await conv.seal(alice, 'not for bob'));
    // A later push on another conversation proves the socket is alive and caught up.
    const other = await createConversation(a.server, ta, alice, [alice, bob]);
    await client.next((m) => m.type === 'entry' && m.conversationId === other.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(client.messages.filter((m) => m.conversationId === conv.id && m.type === 'entry').map((m) => m.seq)).toEqual([2]);
    client.ws.close();
  });

  it('fan-out after commit: the committing instance pushes its own appends without reading them back, each once, in order', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const bobs = [await subscribe(wsUrl(a), ORIGIN, tb, { [conv.id]: 1 }), await subscribe(wsUrl(a), ORIGIN, tb, { [conv.id]: 1 })];
    // The first entry is read (the feed learns the membership), the rest are pushed as committed.
    await send(a.server, ta, conv, await conv.seal(alice, 'first'));
    for (const c of bobs) await c.next((m) => m.type === 'entry' && m.seq === 2);
    const log = a.database.db.log;
    const read = log.pageForMembers.bind(log);
    let reads = 0;
    log.pageForMembers = (...args) => {
      if (args[0] === conv.id) reads++;
      return read(...args);
    };
    try {
      const envs = [];
      for (let i = 0; i < 10; i++) envs.push(await conv.seal(alice, `live ${i}`));
      for (const e of envs.slice(0, 5)) await send(a.server, ta, conv, e);
      await call(a.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes: envs.slice(5) } });
      for (const c of bobs) {
        for (let seq = 3; seq <= 12; seq++) await c.next((m) => m.type === 'entry' && m.conversationId === conv.id && m.seq === seq);
      }
      // The notifications of those commits come too; they find every socket at the head.
      const other = await createConversation(a.server, ta, alice, [alice, bob]);
      await bobs[0]!.next((m) => m.type === 'conversation' && m.conversationId === other.id);
      await new Promise((r) => setTimeout(r, 100));
      for (const c of bobs) {
        const got = c.messages.filter((m) => m.type === 'entry' && m.conversationId === conv.id);
        expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 2));
        expect(got.slice(1).map((m) => m.body.clientMessageId)).toEqual(envs.map((e) => e.clientMessageId));
      }
      expect(reads).toBe(0);
    } finally {
      log.pageForMembers = read;
      for (const c of bobs) c.ws.close();
    }
  });

  it('M1: on the committing instance too, a member removed by a new epoch gets none of the later messages', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const bobSocket = await subscribe(wsUrl(a), ORIGIN, tb, { [conv.id]: 1 });
    const aliceSocket = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: 1 });
    await send(a.server, ta, conv, await conv.seal(alice, 'bob still reads this'));
    await bobSocket.next((m) => m.conversationId === conv.id && m.seq === 2);
    const e1 = await conv.makeEpoch(alice, [alice]);
    expect((await call(a.server, 'POST', `/api/v1/conversations/${conv.id}/epochs`, { token: ta, payload: { epochRecord: e1 } })).status).toBe(201);
    // Alice's socket has the epoch: the feed has read it, with the membership after it.
    await aliceSocket.next((m) => m.conversationId === conv.id && m.seq === 3);
    for (let i = 0; i < 3; i++) await send(a.server, ta, conv, await conv.seal(alice, `not for bob ${i}`));
    for (let seq = 4; seq <= 6; seq++) await aliceSocket.next((m) => m.conversationId === conv.id && m.seq === seq);
    await new Promise((r) => setTimeout(r, 100));
    expect(bobSocket.messages.filter((m) => m.conversationId === conv.id && m.type === 'entry').map((m) => m.seq)).toEqual([2]);
    bobSocket.ws.close();
    aliceSocket.ws.close();
  });

  it('fan-out: sockets on one instance at different cursors (one far behind) each get every entry after their cursor once, in order', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    // 150 entries: more than one read chunk (100), so the socket at 0 catches up on its own first.
    const backlog = [];
    for (let i = 0; i < 149; i++) backlog.push(await conv.seal(alice, `old ${i}`));
    const batch = await call(a.server, 'POST', '/api/v1/messages/batch', { token: ta, payload: { envelopes: backlog } });
    expect(batch.status).toBe(200);
    const cursors = [0, 140, 150, 150];
    const clients = [];
    for (const cursor of cursors) {
      const client = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: cursor });
      clients.push(client);
    }
    const live = [];
    for (let i = 0; i < 30; i++) live.push(await conv.seal(alice, `live ${i}`));
    await Promise.all(live.map((e) => send(a.server, ta, conv, e)));
    for (const [k, client] of clients.entries()) {
      const want = Array.from({ length: 180 - cursors[k]! }, (_, i) => cursors[k]! + 1 + i);
      for (let i = 0; i < want.length; i++) await client.next((m) => m.type === 'entry' && m.conversationId === conv.id, 8000);
      await new Promise((r) => setTimeout(r, 100));
      expect(client.messages.filter((m) => m.type === 'entry' && m.conversationId === conv.id).map((m) => m.seq)).toEqual(want);
      client.ws.close();
    }
  });

  it('T1: refuses a cross-origin WebSocket (403) and one without Origin', async () => {
    await expect(openWs(wsUrl(b), 'https://evil.example')).rejects.toMatchObject({ statusCode: 403 });
    await expect(openWs(wsUrl(b), undefined)).rejects.toMatchObject({ statusCode: 403 });
  });

  it('closes on a bad first message (4400) or a bad token (4401)', async () => {
    const c1 = await openWs(wsUrl(a), ORIGIN);
    c1.ws.send('not json');
    expect(await c1.next()).toEqual({ type: 'error', code: 'invalid_message', v: 1 });
    expect((await c1.closed).code).toBe(4400);
    const c2 = await openWs(wsUrl(a), ORIGIN);
    c2.ws.send(JSON.stringify({ type: 'auth', token: 'A'.repeat(43), cursors: {} }));
    expect(await c2.next()).toEqual({ type: 'error', code: 'unauthorized', v: 1 });
    expect((await c2.closed).code).toBe(4401);
  });

  it('frames are versioned: a newer first frame is refused by name (4400); a v1 client gets v1 frames, entries included', async () => {
    const c1 = await openWs(wsUrl(a), ORIGIN);
    c1.ws.send(JSON.stringify({ type: 'auth', token: tb, cursors: {}, v: 2 }));
    expect(await c1.next()).toEqual({ type: 'error', code: 'unsupported_version', v: 1 });
    expect((await c1.closed).code).toBe(4400);
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const client = await openWs(wsUrl(b), ORIGIN);
    client.ws.send(encodeFrame({ type: 'auth', token: tb, cursors: {} }));
    await client.next((m) => m.type === 'ready');
    const entry = await client.next((m) => m.type === 'entry' && m.conversationId === conv.id);
    expect(decodeServerFrame(entry)).toMatchObject({ ok: true, frame: { type: 'entry', conversationId: conv.id, seq: 1, kind: 'epoch', v: 1 } });
    client.ws.send(JSON.stringify({ type: 'ping', v: 2 }));
    expect(await client.next((m) => m.type === 'error')).toEqual({ type: 'error', code: 'unsupported_version', v: 1 });
    client.ws.close();
  });

  it('closes the socket of a session revoked meanwhile', async () => {
    const s = await login(a.server, bob);
    const client = await subscribe(wsUrl(a), ORIGIN, s.token, {});
    await call(a.server, 'POST', '/api/v1/auth/logout', { token: s.token });
    expect(await client.next((m) => m.type === 'error', 3000)).toEqual({ type: 'error', code: 'unauthorized', v: 1 });
    expect((await client.closed).code).toBe(4401);
  });

  it('answers an application ping and closes politely (1001) on shutdown', async () => {
    const c = await startApp({ listen: true, testDb: a.testDb });
    const client = await subscribe(wsUrl(c), ORIGIN, tb, {});
    client.ws.send(JSON.stringify({ type: 'ping' }));
    expect(await client.next((m) => m.type === 'pong')).toEqual({ type: 'pong', v: 1 });
    await c.stop();
    expect((await client.closed).code).toBe(1001);
  });
});
