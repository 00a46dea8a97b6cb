// A lost phone cut off for good at the service (protocol DEV12, DEV13; THREATS L1; issue 12),
// against the real service and a real Postgres. A login names its device with the device's
// own key; revoking the device ends every session it opened (also the ones it opened
// after publishing its certificate), closes its realtime socket at once, and refuses its
// logins from then on; after the rotation that follows, the account key it still holds
// opens nothing either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certifyDevice, createDeviceKey, revokeDevice, signDeviceLoginProof, signLoginProof, type DeviceSigner, type Identity,
} from '../../protocol/src/index.ts';
import { ORIGIN, call, register, startApp, type TestApp } from '../../test/support/service.ts';
import { rotateKeys } from '../../test/support/account.ts';
import { subscribe } from '../../test/support/ws.ts';
import { identity } from '../../test/support/identities.ts';

async function device(account: Identity): Promise<DeviceSigner> {
  const k = await createDeviceKey();
  return { cert: await certifyDevice(account, { deviceId: k.deviceId, deviceKey: k.publicKey, createdAt: Date.now() }), privateKey: k.keyPair.privateKey };
}

/** A login as the app makes it: the account's proof, and the device's own (DEV12) when `d` is given. */
async function deviceLogin(app: TestApp, account: Identity, d: DeviceSigner | null, deviceName = 'phone', deviceSigner: DeviceSigner | null = d) {
  const c = await call(app.server, 'POST', '/api/v1/auth/challenge', { payload: { userId: account.userId, origin: ORIGIN } });
  expect(c.status).toBe(201);
  const ch = { nonce: c.json.nonce as string, origin: ORIGIN };
  const proof = await signLoginProof(account, ch);
  const payload: Record<string, unknown> = { challengeId: c.json.challengeId, proof, deviceName };
  if (d) payload.device = { certificate: d.cert, proof: await signDeviceLoginProof(deviceSigner!, ch) };
  return call(app.server, 'POST', '/api/v1/auth/login', { payload });
}

describe('a lost device at the service', () => {
  let app: TestApp;
  let alice: Identity;
  let alice2: Identity;
  let laptopKey: DeviceSigner;
  let phoneKey: DeviceSigner;
  let laptop: { token: string; sessionId: string };

  beforeAll(async () => {
    // Pings an hour apart: a socket closed during a test was closed by the revocation, not by the pinger.
    app = await startApp({ listen: true, deps: { realtime: { pingIntervalMs: 3_600_000 } } });
    [alice, alice2] = await Promise.all([identity('alice'), identity('mallory', 'alice')]);
    await register(app.server, alice);
    [laptopKey, phoneKey] = await Promise.all([device(alice), device(alice)]);
    const l = await deviceLogin(app, alice, laptopKey, 'laptop');
    expect(l.status).toBe(201);
    laptop = l.json;
  });
  afterAll(async () => app?.close());

  it('DEV12: a login names its device with a proof by the device key; the session keeps the device id; a wrong device proof or certificate is 401 bad_proof', async () => {
    const ok = await deviceLogin(app, alice, phoneKey);
    expect([ok.status, ok.json.deviceId]).toEqual([201, phoneKey.cert.deviceId]);
    const list = await call(app.server, 'GET', '/api/v1/sessions', { token: laptop.token });
    const phoneRow = list.json.sessions.find((s: { id: string }) => s.id === ok.json.sessionId);
    expect(phoneRow.deviceId).toBe(phoneKey.cert.deviceId);
    // The phone's certificate with the laptop's key signing: the device key does not match.
    const wrongKey = await deviceLogin(app, alice, phoneKey, 'phone', laptopKey);
    expect([wrongKey.status, wrongKey.json.error.code]).toEqual([401, 'bad_proof']);
    // A certificate by another key (here: a key the account does not hold) is refused too.
    const stranger = await device(alice2);
    const foreign = await deviceLogin(app, alice, stranger);
    expect([foreign.status, foreign.json.error.code]).toEqual([401, 'bad_proof']);
    // Without a device, a login is what it was before devices (the account's proof alone).
    const bare = await deviceLogin(app, alice, null);
    expect([bare.status, bare.json.deviceId]).toEqual([201, null]);
  });

  it('DEV13, L1: revoking the phone ends every session it opened, closes its socket at once, and refuses its logins; after the rotation its account key opens nothing', async () => {
    // The phone published its certificate from one session, then logged in again (a re-login after a restart).
    const first = await deviceLogin(app, alice, phoneKey);
    expect((await call(app.server, 'POST', '/api/v1/devices', { token: first.json.token, payload: { certificate: phoneKey.cert } })).status).toBe(201);
    const again = await deviceLogin(app, alice, phoneKey);
    expect(again.status).toBe(201);
    const socket = await subscribe(`ws://127.0.0.1:${app.server.info.port}/api/v1/ws`, ORIGIN, again.json.token);

    const rev = await revokeDevice(alice, { deviceId: phoneKey.cert.deviceId, createdAt: Date.now(), lastSeen: [] });
    const res = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: rev } });
    expect(res.status).toBe(200);
    // Every session the phone opened, including the DEV12 test's: three.
    expect(res.json.sessionsEnded).toBe(3);
    for (const token of [first.json.token, again.json.token]) {
      expect((await call(app.server, 'GET', '/api/v1/sessions', { token })).status).toBe(401);
    }
    // Closed by the revocation itself (the pinger is an hour away).
    expect((await socket.closed).code).toBe(4401);
    expect(socket.messages.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });

    // Its automatic re-login, with both keys it holds, is refused.
    const relogin = await deviceLogin(app, alice, phoneKey);
    expect([relogin.status, relogin.json.error.code]).toEqual([403, 'device_revoked']);
    // The laptop goes on.
    expect((await call(app.server, 'GET', '/api/v1/sessions', { token: laptop.token })).status).toBe(200);

    // DEV11: the laptop rotates; the old account key (which the phone holds) no longer logs in,
    // with or without a device, and the phone's certificate no longer holds.
    const rotated = await rotateKeys(app.server, laptop.token, alice, alice2, 1);
    expect(rotated.status).toBe(201);
    const oldKey = await deviceLogin(app, alice, null);
    expect([oldKey.status, oldKey.json.error.code]).toEqual([401, 'bad_proof']);
    const laptopAgain = await device(alice2);
    const fresh = await deviceLogin(app, alice2, laptopAgain, 'laptop');
    expect(fresh.status).toBe(201);
  });
});
