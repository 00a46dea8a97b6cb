// Session: login signs OUR origin whatever the challenge names (T1), re-logins share one
// request, and the token is stored and cleared with the device's database. The API is a
// fake here; test/hardening/malicious-server.test.ts runs the same class against the
// real service behind a lying proxy.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { randomBytes, toBase64Url, verifyLoginProof, verifyRevokeSession } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { loadSession } from '../stores/account.ts';
import { openDatabase } from '../stores/db.ts';
import type { Api } from './api.ts';
import { Session } from './session.ts';

let n = 0;

function fakeApi(opts: { challengeOrigin?: string; failLogout?: boolean } = {}) {
  const calls: { challenge: { userId: string; origin: string }[]; login: { proof: string; nonce: string; deviceName: string }[]; logout: number } = { challenge: [], login: [], logout: 0 };
  let nonce = '';
  const api = {
    challenge: async (userId: string, origin: string) => {
      calls.challenge.push({ userId, origin });
      nonce = toBase64Url(randomBytes(32));
      return { challengeId: `ch-${calls.challenge.length}`, nonce, origin: opts.challengeOrigin ?? origin, expiresAt: '' };
    },
    login: async (_challengeId: string, proof: string, deviceName: string) => {
      calls.login.push({ proof, nonce, deviceName });
      await new Promise((r) => setTimeout(r, 5));
      return { token: `token-${calls.login.length}`, sessionId: 's', expiresAt: '2100-01-01T00:00:00Z', userId: 'alice' };
    },
    logout: async () => {
      calls.logout++;
      if (opts.failLogout) throw new Error('offline');
    },
  } as unknown as Api;
  return { api, calls };
}

describe('session', () => {
  it('signs the proof over its own origin when the challenge names another (T1), and stores the token', async () => {
    const db = await openDatabase(`session-${++n}`);
    const alice = await fixtureIdentity('alice');
    const { api, calls } = fakeApi({ challengeOrigin: 'https://evil.example' });
    const session = new Session({ api, db: () => db, origin: 'https://messagehub.example' });
    await session.login(alice);
    expect(calls.challenge).toEqual([{ userId: 'alice', origin: 'https://messagehub.example' }]);
    const { proof, nonce, deviceName } = calls.login[0]!;
    expect(deviceName).toBe('MessageHub on the web');
    expect(await verifyLoginProof(alice.public, { nonce, origin: 'https://messagehub.example', userId: 'alice' }, proof)).toBe(true);
    expect(await verifyLoginProof(alice.public, { nonce, origin: 'https://evil.example', userId: 'alice' }, proof)).toBe(false);
    expect(session.token).toBe('token-1');
    expect((await loadSession(db))?.token).toBe('token-1');
  });

  it('re-logs in once for concurrent callers, and not at all without an identity', async () => {
    const db = await openDatabase(`session-${++n}`);
    const { api, calls } = fakeApi();
    const session = new Session({ api, db: () => db, origin: 'https://messagehub.example' });
    await expect(session.relogin()).rejects.toThrow(/signed out/);
    await session.adopt(await fixtureIdentity('alice'), 'Alice', null);
    await Promise.all([session.relogin(), session.relogin(), session.relogin()]);
    expect(calls.login).toHaveLength(1);
    await session.relogin();
    expect(calls.login).toHaveLength(2);
  });

  it('loads the stored identity and session, and logs out locally even when offline', async () => {
    const db = await openDatabase(`session-${++n}`);
    const { api, calls } = fakeApi({ failLogout: true });
    const first = new Session({ api, db: () => db, origin: 'https://messagehub.example' });
    expect(await first.load()).toBeUndefined();
    await first.adopt(await fixtureIdentity('alice'), 'Alice', 5);
    await first.login(first.identity!);
    const again = new Session({ api, db: () => db, origin: 'https://messagehub.example' });
    expect((await again.load())?.displayName).toBe('Alice');
    expect(again.identity?.userId).toBe('alice');
    expect(again.token).toBe('token-1');
    await again.logout(db);
    expect(calls.logout).toBe(1);
    expect(again.token).toBeUndefined();
    expect(await loadSession(db)).toBeUndefined();
  });

  it('revokes another device with a fresh signature by the identity key over a revoke-session challenge (ACCT3, L1)', async () => {
    const db = await openDatabase(`session-${++n}`);
    const alice = await fixtureIdentity('alice');
    const { api } = fakeApi();
    const sent: { purpose?: string; sessionId?: string; challengeId?: string; signature?: string }[] = [];
    const nonce = toBase64Url(randomBytes(32));
    Object.assign(api, {
      accountChallenge: async (purpose: string) => {
        sent.push({ purpose });
        return { challengeId: 'rc-1', nonce, purpose, expiresAt: '' };
      },
      revokeSession: async (sessionId: string, challengeId: string, signature: string) => void sent.push({ sessionId, challengeId, signature }),
      sessions: async () => ({
        sessions: [
          { id: 'old', deviceName: 'Firefox on Windows', createdAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-02T00:00:00Z', expiresAt: '', current: false },
          { id: 's', deviceName: 'Chrome on Linux', createdAt: '2026-02-01T00:00:00Z', lastSeenAt: null, expiresAt: '', current: true },
          { id: 'new', deviceName: 'Safari on iPhone', createdAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-03-01T00:00:00Z', expiresAt: '', current: false },
        ],
      }),
    });
    const session = new Session({ api, db: () => db, origin: 'https://messagehub.example', deviceName: 'Chrome on Linux' });
    await session.adopt(alice, 'alice', 1);
    await session.login(alice);
    expect((await session.devices()).map((d) => d.id)).toEqual(['s', 'new', 'old']);
    await session.revokeDevice('old');
    expect(sent[0]).toEqual({ purpose: 'revoke-session' });
    const { sessionId, challengeId, signature } = sent[1]!;
    expect([sessionId, challengeId]).toEqual(['old', 'rc-1']);
    expect(await verifyRevokeSession(alice.public, nonce, 'old', signature!)).toBe(true);
    expect(await verifyRevokeSession(alice.public, nonce, 'new', signature!)).toBe(false);
    // This device's own session goes with "Forget this device", never through revoke.
    await expect(session.revokeDevice('s')).rejects.toThrow(/Forget this device/);
    expect(sent).toHaveLength(2);
  });
});
