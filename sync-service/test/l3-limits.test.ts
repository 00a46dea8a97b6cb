// THREATS L3: nobody can put another user into thousands of conversations. Opening a
// conversation with others, or adding someone to one, counts against a per-user limit kept
// in Postgres, so it holds across instances; it answers 429 conversation_rate_limited with
// Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../protocol/src/index.ts';
import { Conv, call, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

const LIMIT = 3;

/** The limit counts in one-minute windows: start a test well inside one, so it does not straddle two. */
async function freshWindow(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 15_000) await new Promise((r) => setTimeout(r, left + 200));
}

describe('L3 conversation creation is limited per user', () => {
  let a: TestApp;
  let b: TestApp;
  let alice: Identity, bob: Identity, mallory: Identity, carol: Identity;
  let tm: string, tmB: string, tb: string, tc: string;

  beforeAll(async () => {
    a = await startApp({ config: { conversationRateLimitPerMinute: LIMIT } });
    b = await startApp({ testDb: a.testDb, config: { conversationRateLimitPerMinute: LIMIT } });
    [alice, bob, mallory, carol] = await Promise.all([identity('alice'), identity('bob'), identity('mallory'), identity('carol')]);
    for (const id of [alice, bob, mallory, carol]) await register(a.server, id);
    tc = (await login(a.server, carol)).token;
    tm = (await login(a.server, mallory)).token;
    tmB = (await login(b.server, mallory)).token;
    tb = (await login(a.server, bob)).token;
  });
  afterAll(async () => {
    await b?.stop();
    await a?.close();
  });

  const open = async (app: TestApp, token: string, conv: Conv, creator: Identity, members: Identity[]) =>
    call(app.server, 'POST', '/api/v1/conversations', { token, payload: { epochRecord: conv.record ?? (await conv.makeEpoch(creator, members)) } });

  it('L3 the limit is shared by every instance: one more conversation is 429 conversation_rate_limited with Retry-After; a retry and a conversation alone are not counted', async () => {
    await freshWindow();
    const first = new Conv();
    expect((await open(a, tm, first, mallory, [mallory, alice])).status).toBe(201);
    expect((await open(b, tmB, new Conv(), mallory, [mallory, alice])).status).toBe(201);
    // The same record again (a lost answer retried): 200, not counted.
    expect((await open(b, tmB, first, mallory, [mallory, alice])).status).toBe(200);
    // A conversation with nobody else (notes to self) puts nobody anywhere: not counted.
    expect((await open(a, tm, new Conv(), mallory, [mallory])).status).toBe(201);
    expect((await open(a, tm, new Conv(), mallory, [mallory, alice])).status).toBe(201);
    const over = await open(b, tmB, new Conv(), mallory, [mallory, alice]);
    expect(over.status).toBe(429);
    expect(over.json.error.code).toBe('conversation_rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Other users are not limited by mallory's flood.
    expect((await open(a, tb, new Conv(), bob, [bob, alice])).status).toBe(201);
  });

  it('L3 adding someone with a new epoch counts like opening a conversation; a re-key of the same members does not', async () => {
    await freshWindow();
    const solo = new Conv();
    expect((await open(a, tc, solo, carol, [carol])).status).toBe(201);
    for (let i = 0; i < LIMIT - 1; i++) {
      const add = await call(a.server, 'POST', `/api/v1/conversations/${solo.id}/epochs`, { token: tc, payload: { epochRecord: await solo.makeEpoch(carol, i === 0 ? [carol, alice] : [carol, alice, bob]) } });
      expect(add.status).toBe(201);
      // Nobody new: a re-key is not counted.
      const rekey = await call(a.server, 'POST', `/api/v1/conversations/${solo.id}/epochs`, { token: tc, payload: { epochRecord: await solo.makeEpoch(carol, i === 0 ? [carol, alice] : [carol, alice, bob]) } });
      expect(rekey.status).toBe(201);
    }
    expect((await open(a, tc, new Conv(), carol, [carol, alice])).status).toBe(201);
    const add = await call(a.server, 'POST', `/api/v1/conversations/${solo.id}/epochs`, { token: tc, payload: { epochRecord: await solo.makeEpoch(carol, [carol, alice, bob, mallory]) } });
    expect(add.status).toBe(429);
    expect(add.json.error.code).toBe('conversation_rate_limited');
  });
});
