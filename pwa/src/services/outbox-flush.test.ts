// The outbox flush sends over the open WebSocket when the page has one and falls back to
// HTTP when it has none or it goes away before answering; a `retryLater` keeps the
// envelopes queued and says when to try again (nothing is lost, nothing sent twice by us).
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BatchResult, Envelope } from '../../../protocol/src/index.ts';
import { device, aliceAndBob, type TestDevice } from '../../test/support/fake-service.ts';
import { saveSession } from '../stores/account.ts';
import { queued } from '../stores/outbox.ts';
import { flushOutbox, type SocketSend } from './outbox-flush.ts';
import { RetryLater, SocketGone } from './realtime.ts';

const stored = (envelopes: Envelope[], first = 10): BatchResult[] =>
  envelopes.map((e, i) => ({ clientMessageId: e.clientMessageId, conversationId: e.conversationId, status: 'stored', seq: first + i }));

describe('outbox flush over the socket, HTTP as the fallback', () => {
  let alice: TestDevice;
  let httpBatches: Envelope[][];
  let conversationId: string;
  const fakeFetch = (async (_url: string, init: { body: string }) => {
    const { envelopes } = JSON.parse(init.body) as { envelopes: Envelope[] };
    httpBatches.push(envelopes);
    return new Response(JSON.stringify({ results: stored(envelopes, 100) }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;

  beforeEach(async () => {
    const { service, aliceId } = await aliceAndBob();
    alice = await device(service, aliceId);
    await saveSession(alice.db, { token: 't'.repeat(43), sessionId: 's', userId: 'alice', expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    conversationId = await alice.device.composer.startConversation('bob');
    for (const t of ['one', 'two', 'three']) await alice.device.composer.send(conversationId, t);
    httpBatches = [];
  });

  it('sends over the open socket and not over HTTP', async () => {
    const overSocket: Envelope[][] = [];
    const send: SocketSend = (envelopes) => {
      overSocket.push(envelopes);
      return Promise.resolve(stored(envelopes));
    };
    const outcome = await flushOutbox(alice.db, { baseUrl: 'http://service.test', fetch: fakeFetch, send });
    expect(outcome).toEqual({ ok: true, sent: 3 });
    expect(overSocket.map((b) => b.length)).toEqual([3]);
    expect(httpBatches).toEqual([]);
    expect(await queued(alice.db)).toEqual([]);
  });

  it('uses HTTP when there is no open socket, and when the socket goes away before answering (the same envelopes)', async () => {
    expect(await flushOutbox(alice.db, { baseUrl: 'http://service.test', fetch: fakeFetch, send: () => null })).toEqual({ ok: true, sent: 3 });
    expect(httpBatches.map((b) => b.length)).toEqual([3]);

    await alice.device.composer.send(conversationId, 'four');
    const waiting = (await queued(alice.db)).map((r) => r.clientMessageId);
    const outcome = await flushOutbox(alice.db, { baseUrl: 'http://service.test', fetch: fakeFetch, send: () => Promise.reject(new SocketGone()) });
    expect(outcome).toEqual({ ok: true, sent: waiting.length });
    expect(httpBatches[1]!.map((e) => e.clientMessageId)).toEqual(waiting);
    expect(await queued(alice.db)).toEqual([]);
  });

  it('retryLater: nothing marked, nothing sent over HTTP, the envelopes stay queued for the time asked', async () => {
    const before = (await queued(alice.db)).map((r) => r.clientMessageId);
    const outcome = await flushOutbox(alice.db, { baseUrl: 'http://service.test', fetch: fakeFetch, send: () => Promise.reject(new RetryLater('overloaded', 250)) });
    expect(outcome).toEqual({ ok: false, sent: 0, reason: 'busy', retryAfterMs: 250 });
    expect(httpBatches).toEqual([]);
    expect((await queued(alice.db)).map((r) => r.clientMessageId)).toEqual(before);
  });
});
