// Lifecycle attacks on accounts (THREATS L1, L4, L5), against the real service and a real
// Postgres. Each test is named after the threat it stops and fails when its defence is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import pg from 'pg';
import { classifyKeyChange, signLoginProof, signRegistration, signRevokeSession, signRotation, type Identity } from '../../protocol/src/index.ts';
import { ORIGIN, call, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';
import { accountChallenge, cancelReset, revokeSession, rotateKeys } from '../../test/support/account.ts';

/** A request from `address` (the socket's), optionally through proxies that wrote X-Forwarded-For. */
async function from(server: Server, address: string, method: string, url: string, opts: { token?: string; payload?: unknown; xff?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.xff !== undefined) headers['x-forwarded-for'] = opts.xff;
  const res = await server.inject({ method, url, payload: opts.payload as object | undefined, headers, remoteAddress: address });
  return Object.assign(res, { status: res.statusCode, json: res.payload ? JSON.parse(res.payload) : undefined });
}

async function challengeFrom(server: Server, address: string, userId: string, xff?: string) {
  return from(server, address, 'POST', '/api/v1/auth/challenge', { payload: { userId, origin: ORIGIN }, xff });
}

async function loginFrom(server: Server, address: string, id: Identity, signer: Identity = id) {
  const c = await challengeFrom(server, address, id.userId);
  if (c.status !== 201) return c;
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
      for (let i = 0; i < 4; i++) codes.push((await challengeFrom(app.server, `198.51.100.${a}`, 'alice')).status);
      expect(codes).toEqual([201, 201, 201, 429]);
    }
    // 15 challenges for alice this minute (5 times the limit): alice, from her own address, still logs in.
    const owner = await loginFrom(app.server, '192.0.2.10', alice);
    expect([owner.status, owner.json.error?.code]).toEqual([201, undefined]);
  });

  it('L4: failed proofs are counted per user (429 past the limit), yet the owner\'s valid proof is never refused', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const failures: (number | string)[] = [];
    for (let a = 1; a <= 5; a++) {
      const res = await loginFrom(app.server, `198.51.100.${a}`, alice, mallory);
      failures.push(`${res.status} ${res.json.error?.code}`);
    }
    expect(failures).toEqual(['401 bad_proof', '401 bad_proof', '401 bad_proof', '429 rate_limited', '429 rate_limited']);
    const owner = await loginFrom(app.server, '192.0.2.10', alice);
    expect(owner.status).toBe(201);
    const again = await loginFrom(app.server, '192.0.2.10', alice);
    expect(again.status).toBe(201);
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
      codes.push((await challengeFrom(app.server, '10.0.0.1', 'alice', `203.0.113.${i + 1}, 198.51.100.7`)).status);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
    // Another client behind the same proxy has a budget of its own.
    expect((await challengeFrom(app.server, '10.0.0.1', 'alice', '198.51.100.8')).status).toBe(201);
  });

  it('L5: with TRUST_PROXY_HOPS=2 the hop the outer proxy appended counts, not the ones the client wrote', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await challengeFrom(twoHops.server, '10.0.0.2', 'alice', `203.0.113.${i + 1}, 198.51.100.9, 10.0.0.1`)).status);
    }
    expect(codes).toEqual([201, 201, 201, 429, 429]);
  });

  it('L5: a hop that is not an address falls back to the socket address', async () => {
    await app.testDb.query('DELETE FROM rate_limits');
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await challengeFrom(app.server, '10.0.0.3', 'alice', `203.0.113.1, junk-${i}`)).status);
    expect(codes).toEqual([201, 201, 201, 429]);
  });
});

describe('L1: a bearer token alone never changes keys or sessions', () => {
  let app: TestApp;
  let n = 0;

  beforeAll(async () => {
    app = await startApp({ config: { loginRateLimitPerMinute: 1000, resetWaitSeconds: 3600, resetRequestsPerDay: 2 } });
  });
  afterAll(async () => app?.close());

  /** A fresh account: the owner's keys, a thief's keys and new keys under its user id; the owner's phone and laptop. */
  async function account() {
    const userId = `user${++n}`;
    const owner = await identity('alice', userId);
    const thiefKeys = await identity('mallory', userId);
    const fresh = await identity('carol', userId);
    await register(app.server, owner);
    const phone = await login(app.server, owner, { deviceName: 'phone' });
    const laptop = await login(app.server, owner, { deviceName: 'laptop' });
    return { userId, owner, thiefKeys, fresh, phone, laptop };
  }

  const alive = async (token: string) => (await call(app.server, 'GET', '/api/v1/sessions', { token })).status;

  it('L1: a thief with the token cannot replace the keys: a rotation not signed by the current key is refused, login still takes the owner\'s key', async () => {
    const a = await account();
    // Signed by the thief's own (new) keys, as the old route accepted: refused.
    const forged = await rotateKeys(app.server, a.laptop.token, a.owner, a.thiefKeys, 1, a.thiefKeys);
    expect([forged.status, forged.json.error.code]).toEqual([403, 'bad_signature']);
    // Without any challenge or signature: refused by validation.
    const bare = await call(app.server, 'POST', '/api/v1/users/me/keys', { token: a.laptop.token, payload: { identity: a.thiefKeys.public, proof: await signRegistration(a.thiefKeys) } });
    expect([bare.status, bare.json.error.code]).toEqual([400, 'invalid_request']);
    const keys = await call(app.server, 'GET', `/api/v1/users/${a.userId}/keys`, { token: a.phone.token });
    expect(keys.json.history).toHaveLength(1);
    await expect(login(app.server, a.thiefKeys)).rejects.toThrow(/bad_proof/);
    await expect(login(app.server, a.owner)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('L1: the owner rotates with the current key; clients can check version 2 was signed by version 1', async () => {
    const a = await account();
    const rotated = await rotateKeys(app.server, a.phone.token, a.owner, a.fresh, 1);
    expect([rotated.status, rotated.json.kind]).toEqual([201, 'rotation']);
    const keys = await call(app.server, 'GET', `/api/v1/users/${a.userId}/keys`, { token: a.laptop.token });
    const [v1, v2] = keys.json.history;
    expect(await classifyKeyChange(v1, v2)).toBe('rotation');
    // A server that swaps the new key under the signature is caught by the client.
    expect(await classifyKeyChange(v1, { ...v2, identity: a.thiefKeys.public })).toBe('forged-rotation');
    await expect(login(app.server, a.fresh)).resolves.toMatchObject({ token: expect.any(String) });
    await expect(login(app.server, a.owner)).rejects.toThrow(/bad_proof/);
  });

  it('L1: a rotation signed over version 1 never lands after a concurrent change took version 2 (409 key_changed)', async () => {
    const a = await account();
    // A concurrent change (say, a reset completing) has written version 2 but not committed yet.
    const other = new pg.Client({ connectionString: app.testDb.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO user_keys (user_id, version, public_identity, proof, kind)
         SELECT u.id, 2, $2::jsonb, $3, 'reset' FROM users u WHERE u.user_id = $1`,
        [a.userId, JSON.stringify(a.thiefKeys.public), await signRegistration(a.thiefKeys)],
      );
      // The rotation reads version 1 as current, its signature holds, and its insert waits on version 2.
      const rotation = rotateKeys(app.server, a.phone.token, a.owner, a.fresh, 1);
      for (let i = 0; i < 500; i++) {
        const waiting = await app.testDb.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (waiting.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await other.query('COMMIT');
      const res = await rotation;
      expect([res.status, res.json.error?.code]).toEqual([409, 'key_changed']);
    } finally {
      await other.end();
    }
    const keys = await call(app.server, 'GET', `/api/v1/users/${a.userId}/keys`, { token: a.phone.token });
    expect(keys.json.history.map((k: { version: number; kind: string }) => `${k.version} ${k.kind}`)).toEqual(['1 initial', '2 reset']);
  });

  it('L1: a change challenge is single-use, expiring, and bound to its user and purpose', async () => {
    const a = await account();
    const b = await account();
    const sign = (nonce: string) => signRotation(a.owner, { nonce, fromVersion: 1 }, a.fresh.public);
    const rotate = async (challengeId: string, signature: string) => call(app.server, 'POST', '/api/v1/users/me/keys', {
      token: a.phone.token, payload: { identity: a.fresh.public, proof: await signRegistration(a.fresh), challengeId, signature },
    });
    // A challenge for another purpose, or another user's, is unknown here.
    const revokeCh = await accountChallenge(app.server, a.phone.token, 'revoke-session');
    expect((await rotate(revokeCh.challengeId, await sign(revokeCh.nonce))).json.error.code).toBe('unknown_challenge');
    const bobs = await accountChallenge(app.server, b.phone.token, 'rotate');
    expect((await rotate(bobs.challengeId, await sign(bobs.nonce))).json.error.code).toBe('unknown_challenge');
    // An expired one is refused; a wrong signature burns the challenge.
    const old = await accountChallenge(app.server, a.phone.token, 'rotate');
    await app.testDb.query("UPDATE account_challenges SET expires_at = now() - interval '1 second' WHERE id = $1", [old.challengeId]);
    expect((await rotate(old.challengeId, await sign(old.nonce))).json.error.code).toBe('challenge_expired');
    const c = await accountChallenge(app.server, a.phone.token, 'rotate');
    expect((await rotate(c.challengeId, await signRotation(a.thiefKeys, { nonce: c.nonce, fromVersion: 1 }, a.fresh.public))).json.error.code).toBe('bad_signature');
    const burnt = await rotate(c.challengeId, await sign(c.nonce));
    expect([burnt.status, burnt.json.error.code]).toEqual([403, 'challenge_used']);
    const keys = await call(app.server, 'GET', `/api/v1/users/${a.userId}/keys`, { token: a.phone.token });
    expect(keys.json.history).toHaveLength(1);
  });

  it("L1: a thief with the token cannot revoke the owner's sessions; the owner revokes the thief's with the key", async () => {
    const a = await account();
    const thief = a.laptop; // the stolen, unlocked laptop's token
    const byThief = await revokeSession(app.server, thief.token, a.phone.sessionId, a.thiefKeys);
    expect([byThief.status, byThief.json.error.code]).toEqual([403, 'bad_signature']);
    const bare = await call(app.server, 'DELETE', `/api/v1/sessions/${a.phone.sessionId}`, { token: thief.token });
    expect([bare.status, bare.json.error.code]).toEqual([400, 'invalid_request']);
    // A signature by the owner's key for another session does not revoke this one.
    const ch = await accountChallenge(app.server, thief.token, 'revoke-session');
    const moved = await call(app.server, 'DELETE', `/api/v1/sessions/${a.phone.sessionId}`, {
      token: thief.token, payload: { challengeId: ch.challengeId, signature: await signRevokeSession(a.owner, ch.nonce, thief.sessionId) },
    });
    expect(moved.json.error.code).toBe('bad_signature');
    expect(await alive(a.phone.token)).toBe(200);
    // Listing sessions with a token is fine; the owner revokes the thief's session with the key.
    const list = await call(app.server, 'GET', '/api/v1/sessions', { token: a.phone.token });
    expect(list.json.sessions.map((s: { deviceName: string }) => s.deviceName).sort()).toEqual(['laptop', 'phone']);
    expect((await revokeSession(app.server, a.phone.token, thief.sessionId, a.owner)).status).toBe(204);
    expect(await alive(thief.token)).toBe(401);
  });

  it('L1: a reset asked for with a token alone waits, is shown to every device, and the owner cancels it with the key', async () => {
    const a = await account();
    const thief = a.laptop;
    const asked = await call(app.server, 'POST', '/api/v1/users/me/reset', { token: thief.token, payload: { identity: a.thiefKeys.public, proof: await signRegistration(a.thiefKeys) } });
    expect(asked.status).toBe(202);
    const resetId = asked.json.id;
    expect(new Date(asked.json.completesAt).getTime() - Date.now()).toBeGreaterThan(3500_000);
    // Never silent: the owner's phone sees it, with the asking device.
    const seen = await call(app.server, 'GET', '/api/v1/users/me/reset', { token: a.phone.token });
    expect(seen.json.pending).toMatchObject({ id: resetId, deviceName: 'laptop', identity: a.thiefKeys.public, due: false });
    // Too early to complete; a second reset cannot be queued meanwhile.
    const early = await call(app.server, 'POST', `/api/v1/users/me/reset/${resetId}/complete`, { token: thief.token });
    expect([early.status, early.json.error.code]).toEqual([409, 'reset_waiting']);
    const second = await call(app.server, 'POST', '/api/v1/users/me/reset', { token: thief.token, payload: { identity: a.fresh.public, proof: await signRegistration(a.fresh) } });
    expect([second.status, second.json.error.code]).toEqual([409, 'reset_pending']);
    // The thief cannot cancel or confirm with their own keys; the owner cancels with the current key.
    expect((await cancelReset(app.server, thief.token, resetId, a.thiefKeys)).json.error.code).toBe('bad_signature');
    expect((await cancelReset(app.server, a.phone.token, resetId, a.owner)).status).toBe(204);
    expect((await call(app.server, 'GET', '/api/v1/users/me/reset', { token: a.phone.token })).json.pending).toBeNull();
    // Even after the waiting period it never completes.
    await app.testDb.query("UPDATE key_resets SET completes_at = now() - interval '1 second' WHERE id = $1", [resetId]);
    const late = await call(app.server, 'POST', `/api/v1/users/me/reset/${resetId}/complete`, { token: thief.token });
    expect([late.status, late.json.error.code]).toEqual([404, 'no_pending_reset']);
    expect(await alive(a.phone.token)).toBe(200);
    await expect(login(app.server, a.owner)).resolves.toMatchObject({ token: expect.any(String) });
  });

  it('L1: revoking the asking session, or rotating the keys, voids a pending reset', async () => {
    const a = await account();
    const ask = async (token: string) => call(app.server, 'POST', '/api/v1/users/me/reset', { token, payload: { identity: a.thiefKeys.public, proof: await signRegistration(a.thiefKeys) } });
    const first = await ask(a.laptop.token);
    expect(first.status).toBe(202);
    expect((await revokeSession(app.server, a.phone.token, a.laptop.sessionId, a.owner)).status).toBe(204);
    expect((await call(app.server, 'GET', '/api/v1/users/me/reset', { token: a.phone.token })).json.pending).toBeNull();
    const tablet = await login(app.server, a.owner, { deviceName: 'tablet' });
    const second = await ask(tablet.token);
    expect(second.status).toBe(202);
    expect((await rotateKeys(app.server, a.phone.token, a.owner, a.fresh, 1)).status).toBe(201);
    expect((await call(app.server, 'GET', '/api/v1/users/me/reset', { token: a.phone.token })).json.pending).toBeNull();
    await app.testDb.query("UPDATE key_resets SET completes_at = now() - interval '1 second' WHERE id = $1", [second.json.id]);
    const late = await call(app.server, 'POST', `/api/v1/users/me/reset/${second.json.id}/complete`, { token: tablet.token });
    expect(late.json.error.code).toBe('no_pending_reset');
    // Two resets asked today: the third is refused (RESET_RATE_LIMIT_PER_DAY = 2 here).
    const third = await ask(tablet.token);
    expect([third.status, third.json.error.code]).toEqual([429, 'rate_limited']);
  });

  it('L1: a reset nobody cancels completes after the wait: every session is revoked and the new version is marked reset', async () => {
    const a = await account(); // every key lost; the laptop still holds a live token
    const asked = await call(app.server, 'POST', '/api/v1/users/me/reset', { token: a.laptop.token, payload: { identity: a.fresh.public, proof: await signRegistration(a.fresh) } });
    expect(asked.status).toBe(202);
    await app.testDb.query("UPDATE key_resets SET completes_at = now() - interval '1 second' WHERE id = $1", [asked.json.id]);
    // Only the asking session completes it.
    const other = await call(app.server, 'POST', `/api/v1/users/me/reset/${asked.json.id}/complete`, { token: a.phone.token });
    expect(other.json.error.code).toBe('no_pending_reset');
    const done = await call(app.server, 'POST', `/api/v1/users/me/reset/${asked.json.id}/complete`, { token: a.laptop.token });
    expect([done.status, done.json.version, done.json.kind, done.json.rotation]).toEqual([201, 2, 'reset', null]);
    expect([await alive(a.phone.token), await alive(a.laptop.token)]).toEqual([401, 401]);
    const fresh = await login(app.server, a.fresh);
    await expect(login(app.server, a.owner)).rejects.toThrow(/bad_proof/);
    const keys = await call(app.server, 'GET', `/api/v1/users/${a.userId}/keys`, { token: fresh.token });
    expect(await classifyKeyChange(keys.json.history[0], keys.json.history[1])).toBe('reset');
  });
});
