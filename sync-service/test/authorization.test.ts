import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, EpochRecord, Identity } from '../../protocol/src/index.ts';
import { Conv, call, createConversation, login, register, startApp, type TestApp } from './support/app.ts';
import { identity } from './support/identities.ts';

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
    const m = new Conv(conv.id);
    Object.assign(m, { record: conv.record, epoch: conv.epoch, key: conv.key });
    nextEpoch = await m.makeEpoch(alice, [alice]);
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
        expect([r.name, res.statusCode, res.json?.error?.code]).toEqual([r.name, 401, 'unauthorized']);
      }
    });
  }

  it("answers 404 not_found to another user's token (a non-member) and leaks nothing", async () => {
    for (const r of routes().filter((x) => x.member)) {
      const res = await call(app.server, r.method, r.url, { token: tokens.nonMember, payload: r.payload });
      // Alice's envelope or record sent by mallory also names the wrong author (checked first, reveals nothing).
      expect([r.name, ['not_found', 'sender_mismatch', 'creator_mismatch'].includes(res.json?.error?.code)]).toEqual([r.name, true]);
    }
    const sealed = new Conv(conv.id);
    Object.assign(sealed, { record: conv.record, epoch: conv.epoch, key: conv.key });
    const ownEnvelope = await sealed.seal(mallory);
    const post = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: tokens.nonMember, payload: { envelope: ownEnvelope } });
    expect(post.statusCode).toBe(404);
    const log = await call(app.server, 'GET', `/api/v1/conversations/${conv.id}/log`, { token: tokens.nonMember });
    expect(log.statusCode).toBe(404);
    const list = await call(app.server, 'GET', '/api/v1/conversations', { token: tokens.nonMember });
    expect(list.json.conversations).toEqual([]);
    const sync = await call(app.server, 'POST', '/api/v1/sync', { token: tokens.nonMember, payload: { cursors: { [conv.id]: 0 } } });
    expect(sync.json).toEqual({ entries: [], cursors: {}, hasMore: false });
    const batch = await call(app.server, 'POST', '/api/v1/messages/batch', { token: tokens.nonMember, payload: { envelopes: [ownEnvelope] } });
    expect(batch.json.results[0]).toMatchObject({ status: 'rejected', error: { code: 'not_found' } });
    const unknown = await call(app.server, 'GET', '/api/v1/conversations/no-such-conversation/log', { token: tokens.member });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json.error.message).toBe(log.json.error.message);
  });

  it('lets the member through on every conversation route', async () => {
    for (const r of routes()) {
      const res = await call(app.server, r.method, r.url, { token: tokens.member, payload: r.payload });
      expect([r.name, res.statusCode]).toEqual([r.name, r.ok]);
    }
  });
});
