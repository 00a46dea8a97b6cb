// Sending over the open WebSocket (`send` / `sendBatch`, protocol/src/frames.ts) and overload
// answered instead of queued (a bounded append queue: 503 + Retry-After, or `retryLater`).
// Authorization of the frames (a socket appends only where the HTTP route would): authorization.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../protocol/src/frames.ts';
import type { Envelope, Identity } from '../../protocol/src/index.ts';
import { ORIGIN, call, createConversation, login, register, send, startApp, type Conv, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';
import { twoInstances, type TwoInstances } from '../../test/support/two-instances.ts';
import { subscribe, type WsClient, wsUrl } from '../../test/support/ws.ts';


let nextRef = 0;
/** Send one frame and wait for the answer that echoes its ref. */
async function ask(client: WsClient, frame: Record<string, unknown>): Promise<any> {
  const ref = `r${++nextRef}`;
  client.ws.send(encodeFrame({ ...frame, ref } as never));
  return client.next((m) => m.ref === ref);
}

describe('send over the WebSocket, two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  let alice: Identity, bob: Identity;
  let ta: string, tb: string;
  let conv: Conv;

  let two: TwoInstances | undefined;

  beforeAll(async () => {
    two = await twoInstances(['alice', 'bob']);
    ({ a, b } = two);
    [alice, bob] = two.users as [Identity, Identity];
    [ta, tb] = two.tokens as [string, string];
    conv = await createConversation(a.server, ta, alice, [alice, bob]);
  });
  afterAll(async () => two?.close());

  it('acknowledges a send with its seq; the receiver on the other instance gets the entry pushed', async () => {
    const sender = await subscribe(wsUrl(a), ORIGIN, ta, { [conv.id]: conv.seq });
    const receiver = await subscribe(wsUrl(b), ORIGIN, tb, { [conv.id]: conv.seq });
    const env = await conv.seal(alice, 'over the socket');
    const ack = await ask(sender, { type: 'send', envelope: env });
    expect(ack).toMatchObject({ type: 'sent', duplicate: false, v: 1 });
    expect(ack.seq).toBeGreaterThan(conv.seq);
    const pushed = await receiver.next((m) => m.type === 'entry' && m.seq === ack.seq);
    expect(pushed.body.clientMessageId).toBe(env.clientMessageId);
    // The sender's own socket gets it too (its other tabs and devices rely on this).
    await sender.next((m) => m.type === 'entry' && m.seq === ack.seq);
    sender.ws.close();
    receiver.ws.close();
  });

  it('is idempotent by client id exactly as the HTTP append: a resend, over either, answers the same seq as a duplicate', async () => {
    const client = await subscribe(wsUrl(a), ORIGIN, ta);
    const env = await conv.seal(alice);
    const first = await ask(client, { type: 'send', envelope: env });
    const again = await ask(client, { type: 'send', envelope: env });
    expect([first.type, again.type, again.seq, again.duplicate]).toEqual(['sent', 'sent', first.seq, true]);
    const http = await send(a.server, ta, conv, env);
    expect([http.status, http.json.seq, http.json.duplicate]).toEqual([200, first.seq, true]);
    // Sent over HTTP first, then over the socket: the same.
    const env2 = await conv.seal(alice);
    const viaHttp = await send(a.server, ta, conv, env2);
    const viaWs = await ask(client, { type: 'send', envelope: env2 });
    expect([viaWs.type, viaWs.seq, viaWs.duplicate]).toEqual(['sent', viaHttp.json.seq, true]);
    // Other content under the same client id: the HTTP route's 409 code.
    const other = await conv.seal(alice, 'other', env.clientMessageId);
    const conflict = await ask(client, { type: 'send', envelope: other });
    expect([conflict.type, conflict.code]).toEqual(['sendFailed', 'client_id_conflict']);
    const httpConflict = await send(a.server, ta, conv, other);
    expect([httpConflict.status, httpConflict.json.error.code]).toEqual([409, 'client_id_conflict']);
    client.ws.close();
  });

  it('answers bad envelopes with the HTTP append codes, and a bad frame with invalid_message', async () => {
    const small = await startApp({ listen: true, testDb: a.testDb, config: { maxEnvelopeBytes: 2048 } });
    try {
      const client = await subscribe(wsUrl(small), ORIGIN, ta);
      const env = await conv.seal(alice);
      const cases: [string, unknown, string][] = [
        ['not a padding bucket', { ...env, encryptedContent: 'AAAA' }, 'invalid_envelope'],
        ['an extra field', { ...env, extra: 1 }, 'invalid_envelope'],
        ['too large', await conv.seal(alice, 'x'.repeat(3000)), 'envelope_too_large'],
        ['a future epoch', { ...(await conv.seal(alice)), epoch: 5 }, 'unknown_epoch'],
      ];
      for (const [why, envelope, code] of cases) {
        const ws = await ask(client, { type: 'send', envelope });
        const http = await call(small.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: ta, payload: { envelope } });
        expect([why, ws.type, ws.code, http.json.error.code]).toEqual([why, 'sendFailed', code, code]);
      }
      client.ws.send(JSON.stringify({ type: 'send', envelope: env, v: 1 })); // no ref
      expect(await client.next((m) => m.type === 'error')).toEqual({ type: 'error', code: 'invalid_message', v: 1 });
      client.ws.close();
    } finally {
      await small.stop();
    }
  });

  it('sendBatch answers per envelope in request order, as POST /messages/batch', async () => {
    const client = await subscribe(wsUrl(a), ORIGIN, ta);
    const good = [await conv.seal(alice), await conv.seal(alice)];
    const bobs = await conv.copy().seal(bob); // not the caller's
    const answer = await ask(client, { type: 'sendBatch', envelopes: [good[0], bobs, good[1], { junk: true }] });
    expect(answer.type).toBe('sentBatch');
    expect(answer.results.map((r: any) => [r.status, r.error?.code ?? null])).toEqual([
      ['stored', null], ['rejected', 'sender_mismatch'], ['stored', null], ['rejected', 'invalid_envelope'],
    ]);
    expect(answer.results[2].seq).toBe(answer.results[0].seq + 1);
    client.ws.close();
  });
});

describe('overload is answered, not queued', () => {
  let app: TestApp;
  let alice: Identity;
  let token: string;
  let conv: Conv;

  beforeAll(async () => {
    // A tiny queue: a few requests wait for a flush, the rest are refused at once.
    app = await startApp({ listen: true, deps: { appendQueue: { maxQueued: 2, maxItems: 2, retryAfterMs: 20 } } });
    alice = await identity('alice');
    await register(app.server, alice);
    token = (await login(app.server, alice)).token;
    conv = await createConversation(app.server, token, alice, [alice]);
  });
  afterAll(async () => app?.close());

  it('refuses past the bound with 503 + Retry-After (HTTP) and retryLater (WebSocket); resent until answered, every message is stored exactly once', async () => {
    const envs: Envelope[] = [];
    for (let i = 0; i < 120; i++) envs.push(await conv.seal(alice, `m${i}`));
    const client = await subscribe(wsUrl(app), ORIGIN, token);
    const refusals = { http: 0, ws: 0, retryAfter: new Set<string>(), codes: new Set<string>() };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    // Half over HTTP, half over the socket, all at once; each resends after a refusal.
    const viaHttp = async (env: Envelope): Promise<number> => {
      for (;;) {
        const res = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token, payload: { envelope: env } });
        if (res.status === 201 || res.status === 200) return res.json.seq;
        expect([res.status, res.json.error.code]).toEqual([503, 'overloaded']);
        refusals.http++;
        refusals.retryAfter.add(String(res.headers['retry-after']));
        await sleep(5);
      }
    };
    const viaWs = async (env: Envelope): Promise<number> => {
      for (;;) {
        const answer = await ask(client, { type: 'send', envelope: env });
        if (answer.type === 'sent') return answer.seq;
        expect(answer).toMatchObject({ type: 'retryLater', code: 'overloaded' });
        refusals.ws++;
        refusals.codes.add(answer.code);
        await sleep(answer.retryAfterMs);
      }
    };
    const seqs = await Promise.all(envs.map((e, i) => (i % 2 === 0 ? viaHttp(e) : viaWs(e))));

    expect(refusals.http).toBeGreaterThan(0);
    expect(refusals.ws).toBeGreaterThan(0);
    expect([...refusals.retryAfter]).toEqual(['1']);
    expect(app.server.app.appendQueue.refused).toBe(refusals.http + refusals.ws);
    // Every message stored exactly once, each at the seq its sender was told.
    const rows = await app.testDb.query<{ client_id: string; seq: string }>(
      "SELECT client_id, seq FROM log_entries WHERE conversation_id = $1 AND kind = 'message' ORDER BY seq", [conv.id],
    );
    expect(rows.rows.length).toBe(envs.length);
    const stored = new Map(rows.rows.map((r) => [r.client_id, Number(r.seq)]));
    expect(envs.map((e) => stored.get(e.clientMessageId))).toEqual(seqs);
    expect(new Set(seqs).size).toBe(envs.length);
    client.ws.close();
  });
});
