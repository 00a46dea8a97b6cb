// Devices at the service (protocol DEV2, DEV8, issue 12), against the real service and a
// real Postgres: certificates and revocations are stored append-only and served to every
// client; a revocation, signed by the account key, ends the device's session and the
// service refuses the device's certificate and envelopes from then on. Every bad input is a
// 4xx with a stable code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certifyDevice, createDeviceKey, envelopeHash, revokeDevice, sealMessage, type DeviceSigner, type Envelope, type Identity,
} from '../../protocol/src/index.ts';
import { encodeFrame } from '../../protocol/src/frames.ts';
import { Conv, ORIGIN, call, login, register, startApp, type TestApp } from '../../test/support/service.ts';
import { subscribe } from '../../test/support/ws.ts';
import { identity } from '../../test/support/identities.ts';

async function device(account: Identity): Promise<DeviceSigner> {
  const k = await createDeviceKey();
  return { cert: await certifyDevice(account, { deviceId: k.deviceId, deviceKey: k.publicKey, createdAt: Date.now() }), privateKey: k.keyPair.privateKey };
}

describe('devices at the service', () => {
  let app: TestApp;
  let alice: Identity;
  let bob: Identity;
  let mallory: Identity;
  let laptop: { token: string; sessionId: string };
  let phone: { token: string; sessionId: string };
  let phoneKey: DeviceSigner;
  let laptopKey: DeviceSigner;
  const conv = new Conv();
  const counters = new Map<string, { counter: number; prevHash: string | null }>();

  async function seal(d: DeviceSigner, body: string): Promise<Envelope> {
    const c = counters.get(d.cert.deviceId) ?? { counter: 0, prevHash: null };
    const env = await sealMessage({
      conversationId: conv.id, epoch: 0, epochKey: conv.key, sender: alice, device: d, clientMessageId: crypto.randomUUID(),
      counter: c.counter + 1, prevHash: c.prevHash, plaintext: { type: 'text', body, composedAt: Date.now() },
    });
    counters.set(d.cert.deviceId, { counter: c.counter + 1, prevHash: await envelopeHash(env) });
    return env;
  }

  beforeAll(async () => {
    app = await startApp({ listen: true });
    [alice, bob, mallory] = await Promise.all([identity('alice'), identity('bob'), identity('mallory', 'alice')]);
    await register(app.server, alice);
    await register(app.server, bob);
    laptop = await login(app.server, alice, { deviceName: 'laptop' });
    phone = await login(app.server, alice, { deviceName: 'phone' });
    [phoneKey, laptopKey] = await Promise.all([device(alice), device(alice)]);
    await conv.makeEpoch(alice, [alice, bob]);
    const created = await call(app.server, 'POST', '/api/v1/conversations', { token: laptop.token, payload: { epochRecord: conv.record } });
    expect(created.status).toBeLessThan(300);
  });
  afterAll(async () => app?.close());

  it('DEV2: a device publishes its certificate (idempotent); one not signed by the current key, or for another user, is 400 invalid_certificate', async () => {
    for (const [token, cert] of [[phone.token, phoneKey.cert], [phone.token, phoneKey.cert], [laptop.token, laptopKey.cert]] as const) {
      const res = await call(app.server, 'POST', '/api/v1/devices', { token, payload: { certificate: cert } });
      expect([res.status, res.json.certificate]).toEqual([201, cert]);
    }
    const forged = await certifyDevice(mallory, { deviceId: crypto.randomUUID(), deviceKey: phoneKey.cert.deviceKey, createdAt: 1 });
    const bad = await call(app.server, 'POST', '/api/v1/devices', { token: phone.token, payload: { certificate: forged } });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_certificate']);
    const bobs = await certifyDevice(bob, { deviceId: crypto.randomUUID(), deviceKey: phoneKey.cert.deviceKey, createdAt: 1 });
    const other = await call(app.server, 'POST', '/api/v1/devices', { token: phone.token, payload: { certificate: bobs } });
    expect([other.status, other.json.error.code]).toEqual([400, 'invalid_certificate']);
    const junk = await call(app.server, 'POST', '/api/v1/devices', { token: phone.token, payload: { certificate: { ...phoneKey.cert, deviceKey: 'x' } } });
    expect(junk.status).toBe(400);
    const none = await call(app.server, 'POST', '/api/v1/devices', { payload: { certificate: phoneKey.cert } });
    expect(none.status).toBe(401);
  });

  it('DEV2: anyone signed in fetches a user\'s certificates; an unknown user is 404 unknown_user', async () => {
    const bobLogin = await login(app.server, bob);
    const res = await call(app.server, 'GET', '/api/v1/users/alice/devices', { token: bobLogin.token });
    expect(res.status).toBe(200);
    expect(res.json.certificates.map((c: { deviceId: string }) => c.deviceId).sort()).toEqual([phoneKey.cert.deviceId, laptopKey.cert.deviceId].sort());
    expect(res.json.revocations).toEqual([]);
    const unknown = await call(app.server, 'GET', '/api/v1/users/nobody-here/devices', { token: bobLogin.token });
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'unknown_user']);
  });

  it('DEV5: the service stores version 2 envelopes from certified devices', async () => {
    for (const d of [phoneKey, laptopKey]) {
      const res = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: d === phoneKey ? phone.token : laptop.token, payload: { envelope: await seal(d, 'hi') } });
      expect(res.status).toBe(201);
    }
  });

  it('DEV8, L1: a revocation needs the account key (a token alone, or another key, is 400); it must name the device of the path', async () => {
    const byMallory = await revokeDevice(mallory, { deviceId: phoneKey.cert.deviceId, createdAt: 1, lastSeen: [] });
    const bad = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: byMallory } });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'invalid_revocation']);
    const forLaptop = await revokeDevice(alice, { deviceId: laptopKey.cert.deviceId, createdAt: 1, lastSeen: [] });
    const mismatch = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: forLaptop } });
    expect([mismatch.status, mismatch.json.error.code]).toEqual([400, 'device_mismatch']);
    const junk = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: { nope: 1 } } });
    expect(junk.status).toBe(400);
    const badId = await call(app.server, 'PUT', '/api/v1/devices/not-a-uuid/revocation', { token: laptop.token, payload: { revocation: forLaptop } });
    expect(badId.status).toBe(400);
    // Nothing was revoked by any of these.
    const list = await call(app.server, 'GET', '/api/v1/users/alice/devices', { token: laptop.token });
    expect(list.json.revocations).toEqual([]);
  });

  it('DEV8: revoking the phone ends its session; logged in again with the account key, it can neither publish its certificate nor post', async () => {
    const h = counters.get(phoneKey.cert.deviceId)!;
    const rev = await revokeDevice(alice, { deviceId: phoneKey.cert.deviceId, createdAt: Date.now(), lastSeen: [{ conversationId: conv.id, counter: h.counter, hash: h.prevHash! }] });
    const res = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: rev } });
    expect([res.status, res.json.sessionsEnded, res.json.revocation]).toEqual([200, 1, rev]);
    // Final and idempotent: the same record again changes nothing.
    const again = await call(app.server, 'PUT', `/api/v1/devices/${phoneKey.cert.deviceId}/revocation`, { token: laptop.token, payload: { revocation: rev } });
    expect([again.status, again.json.sessionsEnded]).toEqual([200, 0]);
    expect((await call(app.server, 'GET', '/api/v1/sessions', { token: phone.token })).status).toBe(401);
    // The thief still holds the account key (DEV4): a new login works, but the device is refused.
    const thief = await login(app.server, alice, { deviceName: 'phone' });
    const pub = await call(app.server, 'POST', '/api/v1/devices', { token: thief.token, payload: { certificate: phoneKey.cert } });
    expect([pub.status, pub.json.error.code]).toEqual([409, 'device_revoked']);
    const post = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: thief.token, payload: { envelope: await seal(phoneKey, 'stolen') } });
    expect([post.status, post.json.error.code]).toEqual([403, 'device_revoked']);
    const batch = await call(app.server, 'POST', '/api/v1/messages/batch', { token: thief.token, payload: { envelopes: [await seal(phoneKey, 'stolen 2')] } });
    expect(batch.json.results[0]).toMatchObject({ status: 'rejected', error: { code: 'device_revoked' } });
    // Nor over the WebSocket's send frames (the same appender as the batch route).
    const socket = await subscribe(`ws://127.0.0.1:${app.server.info.port}/api/v1/ws`, ORIGIN, thief.token);
    socket.ws.send(encodeFrame({ type: 'sendBatch', ref: 'stolen-3', envelopes: [await seal(phoneKey, 'stolen 3')] } as never));
    const answer = await socket.next((m) => m.ref === 'stolen-3');
    expect(answer.results[0]).toMatchObject({ status: 'rejected', error: { code: 'device_revoked' } });
    socket.ws.close();
    // The laptop goes on; everyone can fetch the revocation.
    const ok = await call(app.server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: laptop.token, payload: { envelope: await seal(laptopKey, 'still here') } });
    expect(ok.status).toBe(201);
    const list = await call(app.server, 'GET', '/api/v1/users/alice/devices', { token: laptop.token });
    expect(list.json.revocations).toEqual([rev]);
  });

  it('DEV8: certificates and revocations are append-only in the database', async () => {
    await expect(app.testDb.query('DELETE FROM device_revocations')).rejects.toThrow(/append-only/);
    await expect(app.testDb.query("UPDATE device_certificates SET certificate = '{}'::jsonb")).rejects.toThrow(/append-only/);
  });
});
