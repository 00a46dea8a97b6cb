// Authorization and login, in one place (issue 8, items 4 and 5):
//  - the conversation routes, one by one, for no token, a revoked, an expired and another
//    user's token (a non-member gets 404: existence is not revealed), and a member;
//  - every route that needs a session, enumerated from server.table() at run time, refuses
//    no token, a malformed header, an unknown, an expired and a revoked token alike;
//  - every route naming a conversation answers a non-member exactly as a missing one;
//  - user-scoped routes (sessions, logout, key reset) never act on another user's data;
//  - the WebSocket refuses expired, revoked and unknown tokens, and appends (`send` frames)
//    only where POST /messages/batch would, and not once its session is revoked;
//  - a proof cannot be moved to a fresh challenge, nor sent from another site.
// Login attacks on accounts and cross-origin WebSockets: accounts.test.ts, realtime.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRoute, Server } from '@hapi/hapi';
import WebSocket from 'ws';
import { signLoginProof, signRegistration, signRevokeSession, signRotation, type Envelope, type EpochRecord, type Identity } from '../../protocol/src/index.ts';
import { identity } from '../../test/support/identities.ts';
import {
  Chain, call, createConversation, login, register, send, startApp, type Conv, type Requester, type TestApp,
} from '../../test/support/service.ts';
import { subscribe, type WsClient } from '../../test/support/ws.ts';

/**
 * The authorization matrix (issue 8 item 4): every conversation route, for a
 * caller with no token, a revoked token, an expired token, another user's token
 * (a non-member), and a member. Non-members get 404: existence is not revealed.
 */
describe('authorization on every conversation route', () => {
  let app: TestApp;
  let alice: Identity, mallory: Identity;
  let conv: Conv;
  let tokens: Record<'member' | 'nonMember' | 'revoked' | 'expired', string>;
  let env: Envelope;
  let nextEpoch: EpochRecord;

  beforeAll(async () => {
    app = await startApp();
    [alice, mallory] = await Promise.all([identity('alice'), identity('mallory')]);
    await register(app.server, alice);
    await register(app.server, mallory);
    const member = await login(app.server, alice);
    const revoked = await login(app.server, alice);
    const expired = await login(app.server, alice);
    const nonMember = await login(app.server, mallory);
    await call(app.server, 'POST', '/api/v1/auth/logout', { token: revoked.token });
    await app.testDb.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.sessionId]);
    tokens = { member: member.token, nonMember: nonMember.token, revoked: revoked.token, expired: expired.token };
    conv = await createConversation(app.server, member.token, alice, [alice]);
    env = await conv.seal(alice);
    nextEpoch = await conv.copy().makeEpoch(alice, [alice]);
  });
  afterAll(async () => app?.close());

  const routes = () => [
    { name: 'GET /conversations', method: 'GET', url: '/api/v1/conversations', ok: 200 },
    { name: 'GET /conversations/{id}/log', method: 'GET', url: `/api/v1/conversations/${conv.id}/log`, ok: 200, member: true },
    { name: 'POST /conversations/{id}/messages', method: 'POST', url: `/api/v1/conversations/${conv.id}/messages`, payload: { envelope: env }, ok: 201, member: true },
    { name: 'POST /conversations/{id}/epochs', method: 'POST', url: `/api/v1/conversations/${conv.id}/epochs`, payload: { epochRecord: nextEpoch }, ok: 201, member: true },
    { name: 'POST /messages/batch', method: 'POST', url: '/api/v1/messages/batch', payload: { envelopes: [env] }, ok: 200 },
    { name: 'POST /sync', method: 'POST', url: '/api/v1/sync', payload: { cursors: {} }, ok: 200 },
    { name: 'POST /conversations', method: 'POST', url: '/api/v1/conversations', payload: { epochRecord: conv.record }, ok: 200 },
  ];

  for (const who of ['none', 'revoked', 'expired'] as const) {
    it(`answers 401 unauthorized to ${who === 'none' ? 'no token' : `a ${who} token`} on every conversation route`, async () => {
      for (const r of routes()) {
        const token = who === 'none' ? undefined : tokens[who];
        const res = await call(app.server, r.method, r.url, { token, payload: r.payload });
        expect([r.name, res.status, res.json?.error?.code]).toEqual([r.name, 401, 'unauthorized']);
      }
    });
  }

  it("answers 404 not_found to another user's token (a non-member) and leaks nothing", async () => {
    for (const r of routes().filter((x) => x.member)) {
      const res = await call(app.server, r.method, r.url, { token: tokens.nonMember, payload: r.payload });
      // Alice's envelope or record sent by mallory also names the wrong author (checked first, reveals nothing).
      expect([r.name, ['not_found', 'sender_mismatch', 'creator_mismatch'].includes(res.json?.error?.code)]).toEqual([r.name, true]);
    }
    const ownEnvelope = await conv.copy().seal(mallory);
    const post = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: tokens.nonMember, payload: { envelope: ownEnvelope } });
    expect(post.status).toBe(404);
    const log = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tokens.nonMember });
    expect(log.status).toBe(404);
    const list = await call(app.server, 'GET', '/api/v1/conversations', { token: tokens.nonMember });
    expect(list.json.conversations).toEqual([]);
    const sync = await call(app.server, 'POST', '/api/v1/sync', { token: tokens.nonMember, payload: { cursors: { [conv.id]: 0 } } });
    expect(sync.json).toEqual({ entries: [], cursors: {}, hasMore: false });
    const batch = await call(app.server, 'POST', '/api/v1/messages/batch', { token: tokens.nonMember, payload: { envelopes: [ownEnvelope] } });
    expect(batch.json.results[0]).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
    const unknown = await call(app.server, 'GET', '/api/v1/conversations/no-such-conversation/log', { token: tokens.member });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toBe(log.json.error.message);
  });

  it('lets the member through on every conversation route', async () => {
    for (const r of routes()) {
      const res = await call(app.server, r.method, r.url, { token: tokens.member, payload: r.payload });
      expect([r.name, res.status]).toEqual([r.name, r.ok]);
    }
  });
});

describe('authorization on every route, and login', () => {
  let app: TestApp;
  let server: Server;
  let req: Requester;
  let alice: Identity, bob: Identity, carol: Identity, carolAsAlice: Identity;
  let origin: string;
  let tokens: Record<'alice' | 'bob' | 'carol' | 'expired' | 'revoked', string>;
  let aliceSession: string;
  let conversationId: string;
  let conv: Conv;
  let wsUrl: string;

  beforeAll(async () => {
    app = await startApp({ listen: true, config: { loginRateLimitPerMinute: 100_000 } });
    ({ server, req } = app);
    origin = `http://127.0.0.1:${server.info.port}`;
    app.config.origins.push(origin); // the config names port 0; this listener's origin is served too
    wsUrl = `ws://127.0.0.1:${server.info.port}/api/v1/ws`;
    [alice, bob, carol] = await Promise.all([identity('alice'), identity('bob'), identity('carol')]);
    carolAsAlice = await identity('carol', 'alice');
    for (const id of [alice, bob, carol]) await register(req, id);
    const a = await login(req, alice, { origin });
    aliceSession = a.sessionId;
    const expired = await login(req, alice, { origin });
    await app.testDb.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.sessionId]);
    const revoked = await login(req, alice, { origin });
    expect((await req('POST', '/api/v1/auth/logout', { token: revoked.token })).status).toBe(204);
    tokens = {
      alice: a.token, bob: (await login(req, bob, { origin })).token, carol: (await login(req, carol, { origin })).token,
      expired: expired.token, revoked: revoked.token,
    };
    conv = await createConversation(req, a.token, alice, [bob.public]);
    conversationId = conv.id;
    expect((await send(req, a.token, conv, await conv.seal(alice, 'hello'))).status).toBe(201);
  });

  afterAll(async () => app?.close());

  // Routes on the default strategy have no auth setting of their own; open ones say auth: false.
  const needsSession = (r: RequestRoute) => (r.settings.auth as unknown) !== false;

  function urlOf(r: RequestRoute): string {
    return r.path
      .replace('{id}', conversationId)
      .replace('{userId}', 'alice')
      .replace('{sessionId}', aliceSession)
      .replace(/\{\w+\*?\??\}/g, 'x');
  }

  it('every route that needs a session is found at run time (new routes are covered without editing this file)', () => {
    const routes = server.table().filter(needsSession).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(routes).toEqual(expect.arrayContaining([
      'GET /api/v1/sessions', 'DELETE /api/v1/sessions/{sessionId}', 'POST /api/v1/auth/logout', 'POST /api/v1/users/me/keys',
      'GET /api/v1/users/{userId}/keys', 'GET /api/v1/conversations', 'POST /api/v1/messages/batch', 'POST /api/v1/sync',
      'POST /api/v1/users/me/challenge', 'POST /api/v1/users/me/reset', 'GET /api/v1/users/me/reset',
      'DELETE /api/v1/users/me/reset/{resetId}', 'POST /api/v1/users/me/reset/{resetId}/complete',
    ]));
    // And the open ones are exactly the documented five, the two a device being linked uses
    // before it has an account (API.md, "Linking a device"), the public Web Push (VAPID) key,
    // the health check, the app and the OpenAPI document.
    const open = server.table().filter((r) => !needsSession(r)).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
    expect(open).toEqual([
      'GET /api/v1/openapi.json', 'GET /api/v1/push/vapid-key', 'GET /api/v1/users/{userName}/availability', 'GET /healthz', 'GET /{file*}', 'POST /api/v1/auth/challenge',
      'POST /api/v1/auth/login', 'POST /api/v1/device-links', 'POST /api/v1/device-links/{locator}/receive', 'POST /api/v1/users',
    ]);
  });

  for (const who of ['none', 'malformed', 'unknown', 'expired', 'revoked'] as const) {
    it(`answers 401 unauthorized to ${who === 'none' ? 'no token' : `a ${who} token`} on every route that needs a session, before reading the body`, async () => {
      const header = {
        none: undefined, malformed: `Token ${tokens.alice}`, unknown: `Bearer ${'A'.repeat(43)}`,
        expired: `Bearer ${tokens.expired}`, revoked: `Bearer ${tokens.revoked}`,
      }[who];
      const routes = server.table().filter(needsSession);
      expect(routes.length).toBeGreaterThanOrEqual(12);
      for (const r of routes) {
        const res = await server.inject({
          method: r.method, url: urlOf(r), headers: header ? { authorization: header } : {},
          payload: r.method === 'get' ? undefined : '{"not":"even valid for this route"}',
        });
        const where = `${r.method} ${r.path}`;
        expect([where, res.statusCode, JSON.parse(res.payload).error?.code]).toEqual([where, 401, 'unauthorized']);
        expect(res.headers['www-authenticate'], where).toMatch(/^Bearer/);
      }
      // The refused requests changed nothing: alice's session still works.
      expect((await req('GET', '/api/v1/sessions', { token: tokens.alice })).status).toBe(200);
    });
  }

  it('every route naming a conversation answers a non-member exactly as a conversation that does not exist', async () => {
    const routes = server.table().filter((r) => needsSession(r) && r.path.includes('{id}'));
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const r of routes) {
      const body = r.method === 'get' ? undefined : r.path.endsWith('/messages')
        ? { envelope: await new Chain(carol, { id: conversationId, key: await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']) }).next('x') }
        : r.path.endsWith('/epochs') ? undefined : {};
      const asCarol = await req(r.method.toUpperCase(), urlOf(r), { token: tokens.carol, payload: body });
      const missing = await req(r.method.toUpperCase(), urlOf(r).replace(conversationId, 'no-such-conversation'), { token: tokens.carol, payload: body && JSON.parse(JSON.stringify(body).replaceAll(conversationId, 'no-such-conversation')) });
      const where = `${r.method} ${r.path}`;
      if (asCarol.status === 400 || asCarol.status === 415) {
        // Refused for its shape (or media type: a blob chunk is octet-stream) before any lookup: says nothing about existence either way.
        expect([where, missing.status]).toEqual([where, asCarol.status]);
        continue;
      }
      expect([where, asCarol.status, asCarol.json?.error?.code]).toEqual([where, 404, 'not_found']);
      expect([where, missing.status, missing.json]).toEqual([where, asCarol.status, asCarol.json]);
    }
  });

  it("another user's token never reaches this user's sessions or keys", async () => {
    // Bob cannot see, revoke or log out Alice's session, even with a signature by Alice's key
    // (a signed change is checked against the caller's own key, over the caller's own challenge).
    const listed = await req('GET', '/api/v1/sessions', { token: tokens.bob });
    expect(listed.json.sessions.map((s: { id: string }) => s.id)).not.toContain(aliceSession);
    const ch = (await req('POST', '/api/v1/users/me/challenge', { token: tokens.bob, payload: { purpose: 'revoke-session' } })).json;
    const asBob = await req('DELETE', `/api/v1/sessions/${aliceSession}`, { token: tokens.bob, payload: { challengeId: ch.challengeId, signature: await signRevokeSession(bob, ch.nonce, aliceSession) } });
    expect([asBob.status, asBob.json.error.code]).toEqual([404, 'not_found']);
    const ch2 = (await req('POST', '/api/v1/users/me/challenge', { token: tokens.bob, payload: { purpose: 'revoke-session' } })).json;
    const withAlicesKey = await req('DELETE', `/api/v1/sessions/${aliceSession}`, { token: tokens.bob, payload: { challengeId: ch2.challengeId, signature: await signRevokeSession(alice, ch2.nonce, aliceSession) } });
    expect([withAlicesKey.status, withAlicesKey.json.error.code]).toEqual([403, 'bad_signature']);
    // Alice's challenge cannot be answered with Bob's token.
    const alicesCh = (await req('POST', '/api/v1/users/me/challenge', { token: tokens.alice, payload: { purpose: 'revoke-session' } })).json;
    const moved = await req('DELETE', `/api/v1/sessions/${aliceSession}`, { token: tokens.bob, payload: { challengeId: alicesCh.challengeId, signature: await signRevokeSession(alice, alicesCh.nonce, aliceSession) } });
    expect([moved.status, moved.json.error.code]).toEqual([404, 'unknown_challenge']);
    expect((await req('POST', '/api/v1/auth/logout', { token: tokens.bob })).status).toBe(204);
    expect((await req('GET', '/api/v1/sessions', { token: tokens.alice })).status).toBe(200);
    tokens.bob = (await login(req, bob, { origin })).token;
    // Bob cannot publish keys for Alice, even with a valid proof and rotation signature made by Alice's keys.
    const rc = (await req('POST', '/api/v1/users/me/challenge', { token: tokens.bob, payload: { purpose: 'rotate' } })).json;
    const reset = await req('POST', '/api/v1/users/me/keys', {
      token: tokens.bob, payload: { identity: carolAsAlice.public, proof: await signRegistration(carolAsAlice), challengeId: rc.challengeId, signature: await signRotation(alice, { nonce: rc.nonce, fromVersion: 1 }, carolAsAlice.public) },
    });
    expect([reset.status, reset.json.error.code]).toEqual([400, 'user_id_mismatch']);
    // Nor ask for a reset of Alice's account, nor see or cancel hers.
    const askForAlice = await req('POST', '/api/v1/users/me/reset', { token: tokens.bob, payload: { identity: carolAsAlice.public, proof: await signRegistration(carolAsAlice) } });
    expect([askForAlice.status, askForAlice.json.error.code]).toEqual([400, 'user_id_mismatch']);
    const keys = await req('GET', '/api/v1/users/alice/keys', { token: tokens.bob });
    expect(keys.json.history.length).toBe(1);
    expect(keys.json.current.identity).toEqual(alice.public);
  });

  it('the WebSocket refuses expired, revoked, unknown and malformed tokens with 4401 (4400 for a malformed one)', async () => {
    const verdicts: Record<string, [string, number]> = {};
    for (const [name, token] of Object.entries({ expired: tokens.expired, revoked: tokens.revoked, unknown: 'B'.repeat(43), malformed: 'short' })) {
      verdicts[name] = await firstAnswer(token);
    }
    expect(verdicts).toEqual({
      expired: ['unauthorized', 4401], revoked: ['unauthorized', 4401], unknown: ['unauthorized', 4401], malformed: ['invalid_message', 4400],
    });
    expect(await firstAnswer(tokens.alice)).toEqual(['ready', 0]);
  });

  it('a socket appends only where POST /messages/batch would: the same answer for members, non-members and other senders', async () => {
    const other = await createConversation(req, tokens.carol, carol, [carol]);
    // [who sends, whose envelope, in which conversation]
    const cases: [keyof typeof tokens, Identity, Conv, string][] = [
      ['alice', alice, conv, 'stored'], ['bob', bob, conv, 'stored'], // members, their own envelopes
      ['carol', carol, conv, 'not_found'], // not a member: as a conversation that does not exist
      ['bob', alice, conv, 'sender_mismatch'], // a member sending someone else's envelope
      ['alice', alice, other, 'not_found'], // a conversation of someone else
      ['carol', carol, other, 'stored'],
    ];
    const sockets = new Map<string, WsClient>();
    for (const [who, author, c, expected] of cases) {
      const socket = sockets.get(who) ?? await subscribe(wsUrl, origin, tokens[who]);
      sockets.set(who, socket);
      const viaHttp = await req('POST', '/api/v1/messages/batch', { token: tokens[who], payload: { envelopes: [await c.copy().seal(author)] } });
      const ref = `auth${sockets.size}${who}${author.userId}${c === conv ? 'c' : 'o'}`;
      socket.ws.send(JSON.stringify({ type: 'send', ref, envelope: await c.copy().seal(author), v: 1 }));
      const viaWs = await socket.next((m) => m.ref === ref);
      const http = viaHttp.json.results[0];
      const label = `${who} sends ${author.userId}'s envelope to ${c === conv ? 'their conversation' : "carol's"}`;
      expect([label, viaWs.type === 'sendFailed' ? viaWs.code : viaWs.type === 'sent' ? 'stored' : viaWs.type]).toEqual([label, expected]);
      expect([label, http.status === 'stored' ? 'stored' : http.error.code]).toEqual([label, expected]);
    }
    for (const s of sockets.values()) s.ws.close();
  });

  it('a socket whose session was revoked meanwhile is refused its next send (4401) and stores nothing', async () => {
    const { token } = await login(req, alice, { origin });
    const socket = await subscribe(wsUrl, origin, token);
    expect((await req('POST', '/api/v1/auth/logout', { token })).status).toBe(204);
    const env = await conv.copy().seal(alice);
    socket.ws.send(JSON.stringify({ type: 'send', ref: 'revoked', envelope: env, v: 1 }));
    expect(await socket.next((m) => m.type === 'error' || m.ref === 'revoked')).toEqual({ type: 'error', code: 'unauthorized', v: 1 });
    expect((await socket.closed).code).toBe(4401);
    const stored = await app.testDb.query('SELECT 1 FROM log_entries WHERE client_id = $1', [env.clientMessageId]);
    expect(stored.rowCount).toBe(0);
  });

  function firstAnswer(token: string): Promise<[string, number]> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { headers: { origin } });
      let answer = '';
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', token, cursors: {} })));
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (answer) return;
        answer = m.type === 'error' ? m.code : m.type;
        if (m.type === 'ready') {
          ws.close();
          resolve(['ready', 0]);
        }
      });
      ws.on('close', (code) => { if (answer !== 'ready') resolve([answer, code]); });
      ws.on('error', reject);
    });
  }

  it('T1: a valid proof moved to a fresh challenge is refused, and burns that challenge', async () => {
    const first = (await req('POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin } })).json;
    const proof = await signLoginProof(alice, { nonce: first.nonce, origin });
    const second = (await req('POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin } })).json;
    const moved = await req('POST', '/api/v1/auth/login', { payload: { challengeId: second.challengeId, proof, deviceName: 'attacker' } });
    expect([moved.status, moved.json.error.code]).toEqual([401, 'bad_proof']);
    const again = await req('POST', '/api/v1/auth/login', { payload: { challengeId: second.challengeId, proof: await signLoginProof(alice, { nonce: second.nonce, origin }), deviceName: 'x' } });
    expect([again.status, again.json.error.code]).toEqual([401, 'challenge_used']);
    // The first challenge, answered properly, still works: it was never consumed.
    expect((await req('POST', '/api/v1/auth/login', { payload: { challengeId: first.challengeId, proof, deviceName: 'alice' } })).status).toBe(201);
  });

  it('T1: a login sent from another site (its Origin header) is refused even with a proof for our origin', async () => {
    const ch = (await req('POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin } })).json;
    const proof = await signLoginProof(alice, { nonce: ch.nonce, origin });
    const res = await req('POST', '/api/v1/auth/login', { payload: { challengeId: ch.challengeId, proof, deviceName: 'x' }, headers: { origin: 'https://evil.example' } });
    expect([res.status, res.json.error.code]).toEqual([401, 'bad_proof']);
    const challenge = await req('POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin }, headers: { origin: 'https://evil.example' } });
    expect([challenge.status, challenge.json.error.code]).toEqual([403, 'origin_not_allowed']);
  });
});
