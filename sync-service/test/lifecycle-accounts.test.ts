// Lifecycle attacks on accounts (THREATS L1, L4, L5), against the real service and a real
// Postgres. Each test is named after the threat it stops and fails when its defence is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import { signLoginProof, type Identity } from '../../protocol/src/index.ts';
import { ORIGIN, register, startApp, type TestApp } from './support/app.ts';
import { identity } from './support/identities.ts';

/** A request from `address` (the socket's), optionally through proxies that wrote X-Forwarded-For. */
async function from(server: Server, address: string, method: string, url: string, opts: { token?: string; payload?: unknown; xff?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.xff !== undefined) headers['x-forwarded-for'] = opts.xff;
  const res = await server.inject({ method, url, payload: opts.payload as object | undefined, headers, remoteAddress: address });
  return Object.assign(res, { json: res.payload ? JSON.parse(res.payload) : undefined });
}

async function challengeFrom(server: Server, address: string, userId: string, xff?: string) {
  return from(server, address, 'POST', '/api/v1/auth/challenge', { payload: { userId, origin: ORIGIN }, xff });
}

async function loginFrom(server: Server, address: string, id: Identity, signer: Identity = id) {
  const c = await challengeFrom(server, address, id.userId);
  if (c.statusCode !== 201) return c;
  const proof = await signLoginProof(signer, { nonce: c.json.nonce, origin: ORIGIN });
  return from(server, address, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.json.challengeId, proof, deviceName: 'laptop' } });
}

describe('L4: login limits an attacker cannot spend for the owner', () => {
  let app: TestApp;
  let alice: Identity;
  let mallory: Identity;

  beforeAll(async () => {
    app = await startApp({ config: { loginRateLimitPerMinute: 3 } });
    alice = await identity('alice');
    mallory = await identity('mallory', 'alice'); // the wrong keys for alice
    await register(app.server, alice);
  });
  afterAll(async () => app?.close());

  it("L4: challenges for alice spent from many addresses do not lock alice out; each attacker address is limited", async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    for (let a = 1; a <= 5; a++) {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await challengeFrom(app.server, `198.51.100.${a}`, 'alice')).statusCode);
      expect(codes).toEqual([201, 201, 201, 429]);
    }
    // 15 challenges for alice this minute (5 times the limit): alice, from her own address, still logs in.
    const owner = await loginFrom(app.server, '192.0.2.10', alice);
    expect([owner.statusCode, owner.json.error?.code]).toEqual([201, undefined]);
  });

  it('L4: failed proofs are counted per user (429 past the limit), yet the owner\'s valid proof is never refused', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const failures: (number | string)[] = [];
    for (let a = 1; a <= 5; a++) {
      const res = await loginFrom(app.server, `198.51.100.${a}`, alice, mallory);
      failures.push(`${res.statusCode} ${res.json.error?.code}`);
    }
    expect(failures).toEqual(['401 bad_proof', '401 bad_proof', '401 bad_proof', '429 rate_limited', '429 rate_limited']);
    const owner = await loginFrom(app.server, '192.0.2.10', alice);
    expect(owner.statusCode).toBe(201);
    const again = await loginFrom(app.server, '192.0.2.10', alice);
    expect(again.statusCode).toBe(201);
  });
});

describe('L5: behind a trusted proxy only the hop it appended counts', () => {
  let app: TestApp;
  let twoHops: TestApp;

  beforeAll(async () => {
    app = await startApp({ config: { loginRateLimitPerMinute: 3, trustProxy: true } });
    await register(app.server, await identity('alice'));
    twoHops = await startApp({ testDb: app.testDb, config: { loginRateLimitPerMinute: 3, trustProxy: true, trustProxyHops: 2 } });
  });
  afterAll(async () => {
    await twoHops?.stop();
    await app?.close();
  });

  it('L5: a client that writes its own X-Forwarded-For hops is still counted at the address the proxy appended', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      // The client forges a new first hop every time; the proxy (10.0.0.1) appends the real address.
      codes.push((await challengeFrom(app.server, '10.0.0.1', 'alice', `203.0.113.${i + 1}, 198.51.100.7`)).statusCode);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    // Another client behind the same proxy has a budget of its own.
    expect((await challengeFrom(app.server, '10.0.0.1', 'alice', '198.51.100.8')).statusCode).toBe(201);
  });

  it('L5: with TRUST_PROXY_HOPS=2 the hop the outer proxy appended counts, not the ones the client wrote', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await challengeFrom(twoHops.server, '10.0.0.2', 'alice', `203.0.113.${i + 1}, 198.51.100.9, 10.0.0.1`)).statusCode);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
  });

  it('L5: a hop that is not an address falls back to the socket address', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await challengeFrom(app.server, '10.0.0.3', 'alice', `203.0.113.1, junk-${i}`)).statusCode);
    expect(codes).toEqual([201, 201, 201, 429]);
  });
});
