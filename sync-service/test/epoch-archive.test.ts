// The epoch key archive at the service (protocol HIST1..HIST5, issue 12), against the real
// service and a real Postgres: the owner stores entries signed by the account's current key
// from a certified device's session and reads them back; another user reads and writes
// nothing; bad input is a 4xx with a stable code; a repeat changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveEpochKey, certifyDevice, createDeviceKey, createEpoch, rawEpochKey, type EpochArchiveEntry, type Identity,
} from '../../protocol/src/index.ts';
import { call, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { identity } from '../../test/support/identities.ts';

describe('the epoch key archive at the service', () => {
  let app: TestApp;
  let alice: Identity;
  /** Alice's key before a rotation: what the archived epochs name. */
  let aliceBefore: Identity;
  let bob: Identity;
  let laptop: { token: string; sessionId: string };
  let bare: { token: string; sessionId: string };
  let bobLaptop: { token: string; sessionId: string };
  let entries: EpochArchiveEntry[];

  async function certify(who: Identity, token: string): Promise<void> {
    const k = await createDeviceKey();
    const certificate = await certifyDevice(who, { deviceId: k.deviceId, deviceKey: k.publicKey, createdAt: Date.now() });
    const res = await call(app.server, 'POST', '/api/v1/devices', { token, payload: { certificate } });
    expect(res.status).toBe(201);
  }

  beforeAll(async () => {
    app = await startApp();
    [alice, aliceBefore, bob] = await Promise.all([identity('alice'), identity('mallory', 'alice'), identity('bob')]);
    await register(app.server, alice);
    await register(app.server, bob);
    laptop = await login(app.server, alice, { deviceName: 'laptop' });
    bare = await login(app.server, alice, { deviceName: 'a token alone' });
    bobLaptop = await login(app.server, bob, { deviceName: 'bob laptop' });
    await certify(alice, laptop.token);
    await certify(bob, bobLaptop.token);
    entries = [];
    for (const cid of ['conv-archive-1', 'conv-archive-2']) {
      const { record } = await createEpoch({ conversationId: cid, epoch: 0, creator: bob, members: [aliceBefore.public, bob.public], previous: null });
      const raw = await rawEpochKey(record, aliceBefore);
      entries.push(await archiveEpochKey(alice, record, raw));
    }
  });
  afterAll(async () => app?.close());

  const put = (token: string | undefined, payload: unknown, user = 'alice') => call(app.server, 'PUT', `/api/v1/users/${user}/epoch-archive`, { token, payload });
  const get = (token: string | undefined, user = 'alice') => call(app.server, 'GET', `/api/v1/users/${user}/epoch-archive`, { token });

  it('HIST3: the owner stores entries from a certified device and reads them back; a repeat is idempotent', async () => {
    const first = await put(laptop.token, { entries });
    expect([first.status, first.json.stored]).toEqual([200, 2]);
    const again = await put(laptop.token, { entries });
    expect([again.status, again.json.stored]).toEqual([200, 2]);
    const listed = await get(laptop.token);
    expect(listed.status).toBe(200);
    expect(listed.json.entries).toEqual(entries);
    // Reading needs only the owner's session (the entries are wrapped to the account key).
    const fromBare = await get(bare.token);
    expect(fromBare.json.entries).toEqual(entries);
  });

  it('HIST3: another user reads and writes nothing of it (403 not_owner), and sees an archive of their own', async () => {
    const read = await get(bobLaptop.token);
    expect([read.status, read.json.error.code]).toEqual([403, 'not_owner']);
    const write = await put(bobLaptop.token, { entries });
    expect([write.status, write.json.error.code]).toEqual([403, 'not_owner']);
    const own = await get(bobLaptop.token, 'bob');
    expect([own.status, own.json.entries]).toEqual([200, []]);
    // Bob cannot slip alice's entries into his own archive either: not signed by his key.
    const slipped = await put(bobLaptop.token, { entries }, 'bob');
    expect([slipped.status, slipped.json.error.code]).toEqual([400, 'invalid_archive_entry']);
    expect((await get(laptop.token)).json.entries).toEqual(entries);
  });

  it('HIST3: a token alone, from a session that is no certified device, cannot write (403 device_required); no token is 401', async () => {
    const res = await put(bare.token, { entries });
    expect([res.status, res.json.error.code]).toEqual([403, 'device_required']);
    expect((await put(undefined, { entries })).status).toBe(401);
    expect((await get(undefined)).status).toBe(401);
  });

  it('HIST2: bad input is a 4xx with a stable code, never stored', async () => {
    // A signature moved from another entry, a changed field, a shape the protocol refuses.
    const notMine = { ...entries[0]!, sig: entries[1]!.sig };
    const cases: [unknown, number, string | null][] = [
      [{ entries: [notMine] }, 400, 'invalid_archive_entry'],
      [{ entries: [{ ...entries[0]!, conversationId: 'conv-archive-9' }] }, 400, 'invalid_archive_entry'],
      [{ entries: [{ ...entries[0]!, extra: 1 }] }, 400, null],
      [{ entries: [{ ...entries[0]!, wrappedKey: 'x' }] }, 400, null],
      [{ entries: [] }, 400, null],
      [{}, 400, null],
      [{ entries: Array.from({ length: 257 }, () => entries[0]) }, 400, null],
    ];
    for (const [payload, status, code] of cases) {
      const res = await put(laptop.token, payload);
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(typeof res.json.error.code).toBe('string');
      if (code) expect(res.json.error.code).toBe(code);
    }
    const bad = await call(app.server, 'GET', '/api/v1/users/NOT%20A%20USER/epoch-archive', { token: laptop.token });
    expect(bad.status).toBe(400);
    expect((await get(laptop.token)).json.entries).toEqual(entries);
  });
});
