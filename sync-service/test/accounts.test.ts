import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLoginProof, signRegistration, type Identity } from '../../protocol/src/index.ts';
import { ORIGIN, call, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { identity, registration } from '../../test/support/identities.ts';
import { revokeSession, rotateKeys } from '../../test/support/account.ts';

describe('accounts, login, sessions and the directory', () => {
  let app: TestApp;
  let alice: Identity;
  let bob: Identity;
  let aliceNew: Identity;

  beforeAll(async () => {
    app = await startApp({ config: { challengeTtlSeconds: 5 } });
    alice = await identity('alice');
    bob = await identity('bob');
    aliceNew = await identity('carol', 'alice'); // new keys for a reset
  });
  afterAll(async () => app?.close());

  describe('GET /api/v1/users/{userName}/availability', () => {
    it('says a registered name (in any case) is taken and a new one is free, before any keys are made', async () => {
      await call(app.server, 'POST', '/api/v1/users', { payload: await registration(await identity('dave', 'dave'), 'Dave') });
      expect((await call(app.server, 'GET', '/api/v1/users/DAVE/availability')).json).toEqual({ available: false });
      expect((await call(app.server, 'GET', '/api/v1/users/newcomer/availability')).json).toEqual({ available: true });
      const bad = await call(app.server, 'GET', '/api/v1/users/bo%20b/availability');
      expect(bad.status).toBe(400);
    });
  });

  describe('POST /api/v1/users', () => {
    it('registers a user, folding the name to lower case', async () => {
      const id = await identity('alice', 'alice');
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: await registration(id, 'Alice') });
      expect(res.status).toBe(201);
      expect(res.json).toEqual({ userId: 'alice', displayName: 'Alice', keyVersion: 1 });
    });

    it('answers the same registration again with 200 (a lost answer retried)', async () => {
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: await registration(alice, 'Alice') });
      expect(res.status).toBe(200);
    });

    it('refuses a name taken in another case: 409 user_name_taken', async () => {
      const other = await identity('mallory', 'alice');
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: await registration(other, 'ALICE') });
      expect(res.status).toBe(409);
      expect(res.json.error.code).toBe('user_name_taken');
    });

    it('refuses a proof made by other keys: 400 bad_proof', async () => {
      const mallory = await identity('mallory', 'mal');
      const proof = await signRegistration(mallory);
      const victim = await identity('bob', 'mal');
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: { userName: 'mal', identity: victim.public, proof } });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('bad_proof');
    });

    it('refuses an identity for another user id: 400 user_id_mismatch', async () => {
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: await registration(bob, 'robert') });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('user_id_mismatch');
    });

    it.each([
      ['too short', 'ab'],
      ['bad characters', 'bo b'],
      ['starts with a dot', '.bob'],
      ['too long', 'a'.repeat(33)],
    ])('refuses a user name that is %s: 400 invalid_request', async (_why, userName) => {
      const res = await call(app.server, 'POST', '/api/v1/users', { payload: { ...(await registration(bob)), userName } });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('invalid_request');
    });

    it('registers bob', async () => {
      await register(app.server, bob);
    });
  });

  describe('login', () => {
    it('logs in with a signed challenge and gets a 256-bit token', async () => {
      const { token, sessionId } = await login(app.server, alice);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await app.testDb.query('SELECT token_hash FROM sessions WHERE id = $1', [sessionId]);
      expect(rows.rows[0].token_hash).toHaveLength(32);
      expect(Buffer.from(rows.rows[0].token_hash).toString('base64url')).not.toBe(token);
    });

    it('answers 404 unknown_user for a challenge of nobody', async () => {
      const res = await call(app.server, 'POST', '/api/v1/auth/challenge', { payload: { userId: 'nobody', origin: ORIGIN } });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('unknown_user');
    });

    it('T1: refuses a challenge for an origin the service does not serve (403 origin_not_allowed)', async () => {
      const res = await call(app.server, 'POST', '/api/v1/auth/challenge', { payload: { userId: 'alice', origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe('origin_not_allowed');
    });

    it('T1: refuses a challenge whose Origin header names another site', async () => {
      const res = await call(app.server, 'POST', '/api/v1/auth/challenge', {
        payload: { userId: 'alice', origin: ORIGIN }, headers: { origin: 'https://evil.example' },
      });
      expect(res.status).toBe(403);
    });

    async function challenge(userId = 'alice') {
      const c = await call(app.server, 'POST', '/api/v1/auth/challenge', { payload: { userId, origin: ORIGIN } });
      expect(c.status).toBe(201);
      return c.json as { challengeId: string; nonce: string; origin: string };
    }

    it('T1: a replayed proof is refused (401 challenge_used)', async () => {
      const c = await challenge();
      const proof = await signLoginProof(alice, { nonce: c.nonce, origin: ORIGIN });
      const payload = { challengeId: c.challengeId, proof, deviceName: 'laptop' };
      expect((await call(app.server, 'POST', '/api/v1/auth/login', { payload })).status).toBe(201);
      const again = await call(app.server, 'POST', '/api/v1/auth/login', { payload });
      expect(again.status).toBe(401);
      expect(again.json.error.code).toBe('challenge_used');
    });

    it('T1: a nonce is single-use even under concurrent logins: exactly one wins', async () => {
      const c = await challenge();
      const proof = await signLoginProof(alice, { nonce: c.nonce, origin: ORIGIN });
      const payload = { challengeId: c.challengeId, proof, deviceName: 'race' };
      const results = await Promise.all(Array.from({ length: 8 }, () => call(app.server, 'POST', '/api/v1/auth/login', { payload })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.json?.error?.code === 'challenge_used')).toHaveLength(7);
    });

    it('T1: a wrong proof burns the nonce (a reused nonce is refused afterwards)', async () => {
      const c = await challenge();
      const wrong = await signLoginProof(bob, { nonce: c.nonce, origin: ORIGIN });
      const bad = await call(app.server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.challengeId, proof: wrong, deviceName: 'x' } });
      expect(bad.status).toBe(401);
      expect(bad.json.error.code).toBe('bad_proof');
      const right = await signLoginProof(alice, { nonce: c.nonce, origin: ORIGIN });
      const reuse = await call(app.server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.challengeId, proof: right, deviceName: 'x' } });
      expect(reuse.json.error.code).toBe('challenge_used');
    });

    it('T1: a proof signed for another origin is refused (401 bad_proof)', async () => {
      const c = await challenge();
      const proof = await signLoginProof(alice, { nonce: c.nonce, origin: 'https://evil.example' });
      const res = await call(app.server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.challengeId, proof, deviceName: 'x' } });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('bad_proof');
    });

    it("T1: a proof for another user's challenge is refused", async () => {
      const c = await challenge('bob');
      const proof = await signLoginProof(alice, { nonce: c.nonce, origin: ORIGIN });
      const res = await call(app.server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.challengeId, proof, deviceName: 'x' } });
      expect(res.json.error.code).toBe('bad_proof');
    });

    it('T1: an expired challenge is refused (401 challenge_expired)', async () => {
      const c = await challenge();
      await app.testDb.query("UPDATE login_challenges SET expires_at = now() - interval '1 second' WHERE id = $1", [c.challengeId]);
      const proof = await signLoginProof(alice, { nonce: c.nonce, origin: ORIGIN });
      const res = await call(app.server, 'POST', '/api/v1/auth/login', { payload: { challengeId: c.challengeId, proof, deviceName: 'x' } });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe('challenge_expired');
    });

    it('answers 404 unknown_challenge for an id never issued', async () => {
      const res = await call(app.server, 'POST', '/api/v1/auth/login', {
        payload: { challengeId: '00000000-0000-4000-8000-000000000000', proof: 'A'.repeat(86), deviceName: 'x' },
      });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('unknown_challenge');
    });
  });

  describe('sessions and logout', () => {
    it('lists my sessions, marks the current one, and revokes another', async () => {
      const a = await login(app.server, alice, { deviceName: 'phone' });
      const b = await login(app.server, alice, { deviceName: 'tablet' });
      const list = await call(app.server, 'GET', '/api/v1/sessions', { token: a.token });
      expect(list.status).toBe(200);
      const mine = list.json.sessions.find((s: { id: string }) => s.id === a.sessionId);
      expect(mine).toMatchObject({ deviceName: 'phone', current: true });
      expect(list.json.sessions.find((s: { id: string }) => s.id === b.sessionId)).toMatchObject({ current: false });
      expect((await revokeSession(app.server, a.token, b.sessionId, alice)).status).toBe(204);
      const revoked = await call(app.server, 'GET', '/api/v1/sessions', { token: b.token });
      expect(revoked.status).toBe(401);
      expect(revoked.json.error.code).toBe('unauthorized');
      expect((await revokeSession(app.server, a.token, b.sessionId, alice)).status).toBe(404);
    });

    it("answers 404 for someone else's session", async () => {
      const a = await login(app.server, alice);
      const b = await login(app.server, bob);
      const res = await revokeSession(app.server, a.token, b.sessionId, alice);
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('not_found');
      expect((await call(app.server, 'GET', '/api/v1/sessions', { token: b.token })).status).toBe(200);
    });

    it('logs out: the token stops working', async () => {
      const a = await login(app.server, alice);
      expect((await call(app.server, 'POST', '/api/v1/auth/logout', { token: a.token })).status).toBe(204);
      expect((await call(app.server, 'GET', '/api/v1/sessions', { token: a.token })).status).toBe(401);
    });

    it('refuses an expired token', async () => {
      const a = await login(app.server, alice);
      await app.testDb.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [a.sessionId]);
      expect((await call(app.server, 'GET', '/api/v1/sessions', { token: a.token })).status).toBe(401);
    });

    it.each([
      ['no header', undefined],
      ['another scheme', 'Basic YWxpY2U6cHc='],
      ['a malformed token', 'Bearer abc'],
      ['an unknown token', `Bearer ${'A'.repeat(43)}`],
    ])('refuses %s with 401 unauthorized', async (_why, authorization) => {
      const res = await call(app.server, 'GET', '/api/v1/sessions', { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    });
  });

  describe('directory', () => {
    it('M2, L1: a signed rotation appends a version; history keeps the old keys and the signature', async () => {
      const { token } = await login(app.server, alice);
      const rotated = await rotateKeys(app.server, token, alice, aliceNew, 1);
      expect(rotated.status).toBe(201);
      expect(rotated.json).toMatchObject({ version: 2, identity: aliceNew.public, kind: 'rotation', rotation: { nonce: expect.any(String), signature: expect.any(String) } });
      // The same keys again (a retry whose answer was lost): 200, nothing appended.
      const again = await call(app.server, 'POST', '/api/v1/users/me/keys', {
        token, payload: { identity: aliceNew.public, proof: await signRegistration(aliceNew), challengeId: '00000000-0000-4000-8000-000000000000', signature: 'A'.repeat(86) },
      });
      expect(again.status).toBe(200);
      expect(again.json.version).toBe(2);
      const keys = await call(app.server, 'GET', '/api/v1/users/alice/keys', { token });
      expect(keys.status).toBe(200);
      expect(keys.json.displayName).toBe('Alice');
      expect(keys.json.current).toMatchObject({ version: 2, identity: aliceNew.public, kind: 'rotation' });
      expect(keys.json.history.map((k: { version: number; kind: string }) => `${k.version} ${k.kind}`)).toEqual(['1 initial', '2 rotation']);
      expect(keys.json.history[0]).toMatchObject({ identity: alice.public, rotation: null });
    });

    it('logs in with the new keys only, after a rotation', async () => {
      await expect(login(app.server, alice)).rejects.toThrow(/bad_proof/);
      await expect(login(app.server, aliceNew)).resolves.toMatchObject({ token: expect.any(String) });
    });

    it('refuses a rotation for another user or with a bad proof', async () => {
      const { token } = await login(app.server, bob);
      const forAlice = await call(app.server, 'POST', '/api/v1/users/me/keys', {
        token, payload: { identity: aliceNew.public, proof: await signRegistration(aliceNew), challengeId: '00000000-0000-4000-8000-000000000000', signature: 'A'.repeat(86) },
      });
      expect(forAlice.json.error.code).toBe('user_id_mismatch');
      const other = await identity('dave', 'bob');
      const bad = await call(app.server, 'POST', '/api/v1/users/me/keys', {
        token, payload: { identity: other.public, proof: await signRegistration(bob), challengeId: '00000000-0000-4000-8000-000000000000', signature: 'A'.repeat(86) },
      });
      expect(bad.json.error.code).toBe('bad_proof');
    });

    it('answers 404 unknown_user and 401 without a token', async () => {
      const { token } = await login(app.server, bob);
      expect((await call(app.server, 'GET', '/api/v1/users/nobody/keys', { token })).json.error.code).toBe('unknown_user');
      expect((await call(app.server, 'GET', '/api/v1/users/bob/keys')).status).toBe(401);
    });

    it('user_keys is append-only in the database itself', async () => {
      await expect(app.testDb.query('UPDATE user_keys SET proof = $1', ['x'])).rejects.toThrow(/append-only/);
      await expect(app.testDb.query('DELETE FROM user_keys')).rejects.toThrow(/append-only/);
    });
  });
});
