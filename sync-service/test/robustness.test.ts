// Robustness of the service itself (not the attack suite in test/hardening/): bad input
// gets a polite 4xx, rate limits hold, logs hold no secrets, and the data survives a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import type { Identity } from '../../protocol/src/index.ts';
import { ORIGIN, call, createConversation, login, register, send, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

/** Bad input gets a 4xx with a stable code, never a 5xx or a stack trace. */
describe('polite to bad input', () => {
  let app: TestApp;
  let token: string;

  beforeAll(async () => {
    app = await startApp({ config: { maxRequestBytes: 64 * 1024 } });
    const alice = await identity('alice');
    await register(app.server, alice);
    token = (await login(app.server, alice)).token;
  });
  afterAll(async () => app?.close());

  const raw = (method: string, url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.server.inject({ method, url, payload, headers: { authorization: `Bearer ${token}`, ...headers } });

  it('unparsable JSON: 400 invalid_json', async () => {
    for (const url of ['/api/v1/users', '/api/v1/sync', '/api/v1/messages/batch', '/api/v1/auth/login']) {
      const res = await raw('POST', url, '{"cursors": {', { 'content-type': 'application/json' });
      expect([url, res.statusCode, JSON.parse(res.payload).error.code]).toEqual([url, 400, 'invalid_json']);
    }
  });

  it('a wrong content type: 415 unsupported_media_type', async () => {
    const res = await raw('POST', '/api/v1/sync', 'cursors=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(JSON.parse(res.payload).error.code).toBe('unsupported_media_type');
    const text = await raw('POST', '/api/v1/users', 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
  });

  it('a huge body: 413 payload_too_large', async () => {
    const big = JSON.stringify({ cursors: {}, pad: 'x'.repeat(100 * 1024) });
    const res = await raw('POST', '/api/v1/sync', big, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.payload).error.code).toBe('payload_too_large');
  });

  it('wrong types, missing and extra fields: 400 invalid_request naming the field, not echoing values', async () => {
    const secret = 'S3CRET-VALUE-THAT-MUST-NOT-ECHO';
    const cases: [string, string, unknown][] = [
      ['POST', '/api/v1/users', { userName: secret, identity: 5, proof: [] }],
      ['POST', '/api/v1/auth/challenge', { userId: 'alice', origin: ORIGIN, extra: secret }],
      ['POST', '/api/v1/auth/login', { challengeId: secret }],
      ['POST', '/api/v1/sync', { cursors: { [secret]: -1 } }],
      ['POST', '/api/v1/sync', null],
      ['POST', '/api/v1/sync', [1, 2, 3]],
      ['GET', `/api/v1/conversations/${'x'.repeat(200)}/log`, undefined],
      ['GET', '/api/v1/conversations/abc/log?after=-1', undefined],
      ['GET', '/api/v1/conversations/abc/log?after=abc', undefined],
      ['DELETE', `/api/v1/sessions/${secret}`, undefined],
      ['GET', `/api/v1/users/${secret}/keys`, undefined],
      ['POST', '/api/v1/conversations', { epochRecord: { v: 2 } }],
      ['POST', '/api/v1/conversations/abc/messages', { envelope: 'a string' }],
    ];
    for (const [method, url, payload] of cases) {
      const res = await call(app.server, method, url, { token, payload });
      expect([method, url, res.status, res.json?.error?.code]).toEqual([method, url, 400, 'invalid_request']);
      expect(res.payload).not.toContain(secret);
    }
  });

  it('unknown routes and methods: 404 / 405 in the JSON shape', async () => {
    const nf = await call(app.server, 'GET', '/api/v1/nope', { token });
    expect(nf.json.error.code).toBe('not_found');
    const put = await call(app.server, 'PUT', '/api/v1/sync', { token, payload: {} });
    expect([404, 405]).toContain(put.status);
    expect(put.json.error.code).toMatch(/not_found|method_not_allowed/);
  });
});

describe('rate limits', () => {
  let app: TestApp;
  let alice: Identity;

  beforeAll(async () => {
    app = await startApp({ config: { loginRateLimitPerMinute: 3, appendRateLimitPerMinute: 5 } });
    alice = await identity('alice');
    await register(app.server, alice);
  });
  afterAll(async () => app?.close());

  it('limits challenges per user and address in Postgres (shared by instances): 429 with retry-after', async () => {
    const other = await startApp({ testDb: app.testDb, config: { loginRateLimitPerMinute: 3 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await call(app.server, 'POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin: ORIGIN } })).status);
      // The fourth goes to the other instance: the counter is shared.
      const res = await call(other.server, 'POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin: ORIGIN } });
      expect(codes).toEqual([201, 201, 201]);
      expect(res.status).toBe(429);
      expect(res.json.error.code).toBe('rate_limited');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await other.stop();
    }
  });

  it('limits appends per user (per instance): 429 rate_limited', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const { token } = await login(app.server, alice);
    const conv = await createConversation(app.server, token, alice, [alice]);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await send(app.server, token, conv, await conv.seal(alice))).status);
    expect(codes).toEqual([201, 201, 201, 201, 201, 429, 429]);
  });
});

describe('logs', () => {
  it('never contain the token, the Authorization header, ciphertext or keys', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(chunk.toString()); cb(); } });
    const app = await startApp({ config: { logLevel: 'trace', accessLog: 'full' }, deps: { logStream: stream } });
    try {
      const alice = await identity('alice');
      await register(app.server, alice);
      const { token } = await login(app.server, alice);
      const conv = await createConversation(app.server, token, alice, [alice]);
      const env = await conv.seal(alice, 'secret words');
      await send(app.server, token, conv, env);
      await call(app.server, 'POST', '/api/v1/sync', { token, payload: { cursors: {} } });
      await call(app.server, 'GET', '/api/v1/sessions', { headers: { authorization: `Bearer ${token.slice(0, 42)}X` } });
      // A 500 is logged too: make one by breaking the database under the server.
      await app.testDb.query('ALTER TABLE sessions RENAME TO sessions_gone');
      await call(app.server, 'GET', '/api/v1/sessions', { token });
      await app.testDb.query('ALTER TABLE sessions_gone RENAME TO sessions');
      const text = lines.join('');
      expect(lines.length).toBeGreaterThan(5);
      expect(text).toContain('[redacted]');
      for (const secret of [token, token.slice(0, 20), env.encryptedContent.slice(0, 40), env.sig, alice.public.signingKey, alice.public.encryptionKey.slice(0, 40), conv.record.wrappedKeys[0]!.wrappedKey.slice(0, 40)]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await app.close();
    }
  });
});

describe('access logs (issue 16)', () => {
  const run = async (accessLog?: 'off' | 'on' | 'full') => {
    const lines: string[] = [];
    const stream = new Writable({ write(chunk, _enc, cb) { lines.push(chunk.toString()); cb(); } });
    const app = await startApp({ config: { logLevel: 'info', ...(accessLog ? { accessLog } : {}) }, deps: { logStream: stream } });
    try {
      for (let i = 0; i < 3; i++) {
        await app.server.inject({ method: 'GET', url: '/api/v1/openapi.json?x=1', headers: { 'user-agent': 'AgentSmith/1.0', 'x-forwarded-for': '203.0.113.9' } });
      }
    } finally {
      await app.close();
    }
    return lines.filter((l) => l.includes('[response]')).join('');
  };

  it('are off by default, and when on carry no client address or user agent unless asked for', async () => {
    expect(await run()).toBe('');
    const on = await run('on');
    expect(on).toContain('/api/v1/openapi.json');
    for (const s of ['AgentSmith', 'remoteAddress', '127.0.0.1', 'user-agent', 'x=1']) expect(on).not.toContain(s);
    const full = await run('full');
    expect(full).toContain('AgentSmith');
    expect(full).toContain('remoteAddress');
  });
});

describe('persistence across a restart', () => {
  it('serves the same log, sessions and keys after the server is closed and reopened', async () => {
    const first = await startApp();
    const alice = await identity('alice');
    await register(first.server, alice);
    const { token } = await login(first.server, alice);
    const conv = await createConversation(first.server, token, alice, [alice]);
    const env = await conv.seal(alice);
    expect((await send(first.server, token, conv, env)).json.seq).toBe(2);
    await first.stop();
    const second = await startApp({ testDb: first.testDb });
    try {
      const log = await call(second.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token });
      expect(log.status).toBe(200);
      expect(log.json.entries.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
      expect(log.json.entries[1].body).toEqual(env);
      expect((await send(second.server, token, conv, env)).json).toEqual({ seq: 2, duplicate: true });
      expect((await send(second.server, token, conv, await conv.seal(alice))).json.seq).toBe(3);
    } finally {
      await second.close();
    }
  });
});
