// SPEC §8c, API.md "Realtime" `typing`: the service relays a member's sealed typing signal to
// the other members' sockets on every instance (Postgres NOTIFY), refuses a non-member,
// answers a malformed or oversized frame with a typed error, rate-limits per socket, and
// writes nothing to any table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TYPING_LIMITS, randomBytes, toBase64Url, type Identity } from '../../protocol/src/index.ts';
import { ORIGIN, createConversation, type TestApp } from '../../test/support/service.ts';
import { twoInstances, type TwoInstances } from '../../test/support/two-instances.ts';
import { subscribe, type WsClient, wsUrl } from '../../test/support/ws.ts';

describe('typing signals over WebSocket, two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  let alice: Identity, bob: Identity;
  let ta: string, tb: string, tc: string;
  /** A sealed signal's size (the service cannot open it; any base64url of that length will do). */
  const sealed = () => toBase64Url(randomBytes(1057));

  /** Rows in every table of the schema. */
  async function rowCounts(): Promise<Record<string, number>> {
    const db = a.database.db;
    const tables = await db.any<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1");
    const out: Record<string, number> = {};
    for (const { name } of tables) out[name] = Number((await db.one<{ n: string }>('SELECT count(*) AS n FROM $1:name', [name])).n);
    return out;
  }

  /** A round trip on the socket: every frame the service sent before the pong has arrived. */
  async function settle(c: WsClient): Promise<void> {
    c.ws.send(JSON.stringify({ type: 'ping', v: 1 }));
    await c.next((m) => m.type === 'pong');
  }

  let two: TwoInstances | undefined;

  beforeAll(async () => {
    two = await twoInstances(['alice', 'bob', 'carol']);
    ({ a, b } = two);
    [alice, bob] = two.users as [Identity, Identity, Identity];
    [ta, tb, tc] = two.tokens as [string, string, string];
  });
  afterAll(async () => two?.close());

  it('relays a member\'s signal to the other member\'s socket on the other instance, not back to the sender, and stores nothing', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const alices = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: 1 });
    const bobs = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    const carols = await subscribe(wsUrl(b), ORIGIN, tc, {});
    const before = await rowCounts();
    const s = sealed();
    alices.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: s, v: 1 }));
    expect(await bobs.next((m) => m.type === 'typing')).toEqual({ type: 'typing', conversationId: conv.id, sealed: s, v: 1 });
    // Bob's answer comes back to Alice on the first instance.
    const back = sealed();
    bobs.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: back, v: 1 }));
    expect(await alices.next((m) => m.type === 'typing')).toEqual({ type: 'typing', conversationId: conv.id, sealed: back, v: 1 });
    await Promise.all([settle(alices), settle(bobs), settle(carols)]);
    expect(alices.messages.filter((m) => m.type === 'typing')).toHaveLength(1);
    expect(bobs.messages.filter((m) => m.type === 'typing')).toHaveLength(1);
    expect(carols.messages.filter((m) => m.type === 'typing')).toHaveLength(0);
    expect(await rowCounts()).toEqual(before);
    for (const c of [alices, bobs, carols]) c.ws.close();
  });

  it('refuses a non-member\'s signal (typingFailed not_found) and relays nothing', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const bobs = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    const carols = await subscribe(wsUrl(b), ORIGIN, tc, {});
    const before = await rowCounts();
    carols.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: sealed(), v: 1 }));
    expect(await carols.next((m) => m.type === 'typingFailed')).toEqual({ type: 'typingFailed', conversationId: conv.id, code: 'not_found', v: 1 });
    // A conversation that does not exist gets the same answer.
    carols.ws.send(JSON.stringify({ type: 'typing', conversationId: 'no-such-conversation', sealed: sealed(), v: 1 }));
    expect(await carols.next((m) => m.type === 'typingFailed')).toMatchObject({ conversationId: 'no-such-conversation', code: 'not_found' });
    // Then a member's signal: the only one Bob sees.
    const alices = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: 1 });
    const s = sealed();
    alices.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: s, v: 1 }));
    expect((await bobs.next((m) => m.type === 'typing')).sealed).toBe(s);
    await settle(bobs);
    expect(bobs.messages.filter((m) => m.type === 'typing')).toHaveLength(1);
    expect(await rowCounts()).toEqual(before);
    for (const c of [alices, bobs, carols]) c.ws.close();
  });

  it('answers an oversized or malformed typing frame with a typed error, keeps the socket, and changes nothing', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const alices = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: 1 });
    const bobs = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    const before = await rowCounts();
    const bad = [
      { type: 'typing', conversationId: conv.id, sealed: 'A'.repeat(TYPING_LIMITS.maxSealedChars + 1), v: 1 },
      { type: 'typing', conversationId: conv.id, sealed: 'not base64!', v: 1 },
      { type: 'typing', conversationId: conv.id, sealed: '', v: 1 },
      { type: 'typing', conversationId: 'bad id with spaces', sealed: sealed(), v: 1 },
      { type: 'typing', conversationId: conv.id, v: 1 },
      { type: 'typing', conversationId: conv.id, sealed: sealed(), extra: 1, v: 1 },
      { type: 'typing', conversationId: conv.id, sealed: sealed(), v: 2 },
    ];
    for (const frame of bad) {
      alices.ws.send(JSON.stringify(frame));
      expect(await alices.next((m) => m.type === 'error'), JSON.stringify(frame).slice(0, 80)).toEqual({ type: 'error', code: frame.v === 2 ? 'unsupported_version' : 'invalid_message', v: 1 });
    }
    await settle(alices);
    await settle(bobs);
    expect(bobs.messages.filter((m) => m.type === 'typing')).toHaveLength(0);
    expect(await rowCounts()).toEqual(before);
    for (const c of [alices, bobs]) c.ws.close();
  });

  it('rate-limits each socket: past the limit in one second, signals are dropped without an answer', async () => {
    const conv = await createConversation(a.server, ta, alice, [alice, bob]);
    const alices = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: 1 });
    const bobs = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: 1 });
    const n = TYPING_LIMITS.maxPerSecond * 4;
    for (let i = 0; i < n; i++) alices.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: sealed(), v: 1 }));
    await settle(alices);
    // The relayed ones arrive (at least one); the socket's window lets through at most two windows' worth.
    await bobs.next((m) => m.type === 'typing');
    // A second signal from Bob's side travels the same path: once it is back, Alice's are all in.
    bobs.ws.send(JSON.stringify({ type: 'typing', conversationId: conv.id, sealed: sealed(), v: 1 }));
    await alices.next((m) => m.type === 'typing');
    await settle(bobs);
    const got = bobs.messages.filter((m) => m.type === 'typing').length;
    expect(got).toBeGreaterThanOrEqual(1);
    expect(got).toBeLessThanOrEqual(TYPING_LIMITS.maxPerSecond * 2);
    expect(alices.messages.filter((m) => m.type === 'error' || m.type === 'typingFailed')).toHaveLength(0);
    for (const c of [alices, bobs]) c.ws.close();
  });
});
