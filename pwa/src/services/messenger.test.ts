// The composition root in Node: it is built without DOM globals (fetch and the origin are
// handed in), starts to the welcome screen on an empty device, and onboarding registers,
// logs in over its own origin and wires the device's services. The full restore through
// Messenger against the real service is in test/hardening/malicious-server.test.ts (T4).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { verifyLoginProof } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { loadIdentity } from '../stores/account.ts';
import { openDatabase } from '../stores/db.ts';
import { Messenger } from './messenger.ts';

const ORIGIN = 'https://messagehub.example';

/** A service that answers registration and login, and records what it was sent. */
function fakeFetch(seen: { path: string; body: any }[]): typeof fetch {
  const nonce = 'A'.repeat(43);
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const path = new URL(String(input)).pathname;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    seen.push({ path, body });
    const json = (status: number, value: unknown) => new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
    if (path === '/api/v1/users') return json(201, { userId: body.userName, displayName: body.userName, keyVersion: 1 });
    if (path === '/api/v1/auth/challenge') return json(201, { challengeId: 'c1', nonce, origin: 'https://evil.example', expiresAt: '' });
    if (path === '/api/v1/auth/login') return json(201, { token: 't', sessionId: 's', expiresAt: '2100-01-01T00:00:00Z', userId: 'alice' });
    if (path === '/api/v1/conversations') return json(200, { conversations: [] });
    return json(404, { error: { code: 'not_found', message: path } });
  }) as typeof fetch;
}

describe('Messenger (composition root)', () => {
  it('starts to the welcome screen on an empty device, with no DOM', async () => {
    const m = new Messenger({ origin: ORIGIN, baseUrl: 'http://service.test', fetch: fakeFetch([]), databaseName: 'messenger-empty' });
    let changes = 0;
    m.addEventListener('change', () => changes++);
    await m.start();
    expect(m.phase).toBe('welcome');
    expect(m.fatal).toBeNull();
    expect(changes).toBeGreaterThan(0);
    expect(() => m.checkUserName('a')).toThrow(/3 to 32/);
    expect(() => m.checkUserName('alice.b')).not.toThrow();
  });

  it('finishes onboarding: registers, signs in over its own origin and wires the device', async () => {
    const seen: { path: string; body: any }[] = [];
    const m = new Messenger({ origin: ORIGIN, baseUrl: 'http://service.test', fetch: fakeFetch(seen), databaseName: 'messenger-onboarding' });
    const identity = await fixtureIdentity('alice');
    await m.finishAccount({ userName: 'Alice', identity, keyFile: '' });
    expect(seen.map((s) => s.path)).toEqual(['/api/v1/users', '/api/v1/auth/challenge', '/api/v1/auth/login']);
    expect(seen[1]!.body).toEqual({ userId: 'alice', origin: ORIGIN });
    const proof = seen[2]!.body.proof as string;
    expect(await verifyLoginProof(identity.public, { nonce: 'A'.repeat(43), origin: ORIGIN, userId: 'alice' }, proof)).toBe(true);
    expect(m.me?.displayName).toBe('Alice');
    expect(m.session.token).toBe('t');
    await m.refreshSummaries(true);
    expect(m.summaries).toEqual([]);
    expect(await m.messages('none')).toEqual([]);
    expect(await m.storageInfo()).toEqual({ persisted: null, usage: null, entries: 0, queued: 0 });
  });

  it('keeps reminding a user who went on without saving a key file, until it is downloaded', async () => {
    const databaseName = 'messenger-unsaved-keyfile';
    const m = new Messenger({ origin: ORIGIN, baseUrl: 'http://service.test', fetch: fakeFetch([]), databaseName });
    const identity = await fixtureIdentity('alice');
    await m.finishAccount({ userName: 'alice', identity, keyFile: '{"sealed":"file"}' }, false);
    expect(m.me?.keyFileConfirmedAt).toBeNull();
    expect(m.keyFileReminder).toBe(true);
    expect(m.unsavedKeyFile).toBe('{"sealed":"file"}');
    m.dismissKeyFileReminder();
    expect(m.keyFileReminder).toBe(false);

    // What the next start reads (the journey reloads the page and sees the reminder again).
    const db = await openDatabase(databaseName);
    expect(await loadIdentity(db)).toMatchObject({ keyFileConfirmedAt: null, unsavedKeyFile: '{"sealed":"file"}' });
    await m.keyFileSaved();
    expect(m.keyFileReminder).toBe(false);
    expect(m.unsavedKeyFile).toBeNull();
    expect(await loadIdentity(db)).toMatchObject({ keyFileConfirmedAt: expect.any(Number), unsavedKeyFile: null });
    db.close();
  });

  it('a saved key file leaves nothing sealed behind and no reminder', async () => {
    const m = new Messenger({ origin: ORIGIN, baseUrl: 'http://service.test', fetch: fakeFetch([]), databaseName: 'messenger-saved-keyfile' });
    await m.finishAccount({ userName: 'alice', identity: await fixtureIdentity('alice'), keyFile: '{"sealed":"file"}' }, true);
    expect(m.keyFileReminder).toBe(false);
    expect(m.unsavedKeyFile).toBeNull();
  });
});
