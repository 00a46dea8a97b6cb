// Two devices of one account against the REAL service (issue 12; protocol DEV4..DEV10):
// the product's own client classes (support/pwa-client.ts) on fake-indexeddb, the real
// outbox flush and pull. A laptop and a phone of alice's send concurrently, the phone
// offline for a while, and nobody sees a warning; then the laptop revokes the phone, and
// whatever the phone still tries is refused by the service and by every client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '@hapi/hapi';
import { allOutbox } from '../../pwa/src/stores/outbox.ts';
import { createDevice, createPair, warnings, bodies, type Device } from './support/devices.ts';
import { startHardeningService, type HardeningService } from './support/service.ts';

describe('two devices of one account on the real service', () => {
  let service: HardeningService;
  let server: Server;
  let laptop: Device;
  let phone: Device;
  let bob: Device;
  let cid = '';

  beforeAll(async () => {
    service = await startHardeningService('devices');
    ({ server } = service);
    ({ alice: laptop, bob, cid } = await createPair(server, 'dev'));
    // The phone: alice's account keys (from the key file, DEV4), a device key of its own.
    phone = await createDevice(server, 'alice', laptop.id.userId, { register: false });
    await phone.client.pull();
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('DEV6, DEV4: both send concurrently, then the phone is offline while the laptop and bob go on: no warning anywhere', async () => {
    await laptop.client.composer.send(cid, 'laptop 1');
    await phone.client.composer.send(cid, 'phone 1');
    expect(await phone.client.flush()).toMatchObject({ ok: true });
    expect(await laptop.client.flush()).toMatchObject({ ok: true });
    for (const d of [laptop, phone, bob]) await d.client.pull();
    // Offline: the phone seals two messages it cannot send yet.
    await phone.client.composer.send(cid, 'phone 2 (offline)');
    await phone.client.composer.send(cid, 'phone 3 (offline)');
    await laptop.client.composer.send(cid, 'laptop 2');
    expect(await laptop.client.flush()).toMatchObject({ ok: true });
    await bob.client.pull();
    await bob.client.composer.send(cid, 'bob 1');
    expect(await bob.client.flush()).toMatchObject({ ok: true });
    await laptop.client.pull();
    await laptop.client.composer.send(cid, 'laptop 3');
    expect(await laptop.client.flush()).toMatchObject({ ok: true });
    // Back online.
    expect(await phone.client.flush()).toMatchObject({ ok: true });
    for (const d of [laptop, phone, bob]) await d.client.pull();
    const all = ['bob 1', 'laptop 1', 'laptop 2', 'laptop 3', 'phone 1', 'phone 2 (offline)', 'phone 3 (offline)'];
    for (const [name, d] of [['laptop', laptop], ['phone', phone], ['bob', bob]] as const) {
      expect(await warnings(d, cid), name).toEqual([]);
      expect([...(await bodies(d, cid))].sort(), name).toEqual(all);
    }
  });

  it('DEV8, DEV10: the laptop revokes the phone: its session ends, the service refuses its posts, and a copy slipped into the log is refused by every client', async () => {
    const phoneDevice = await phone.client.device.deviceKeys.signer();
    const rev = await laptop.client.device.revocations.revoke(phoneDevice.cert.deviceId);
    expect(rev.cutoffs.map((c) => c.counter)).toEqual([3]);
    // The phone (a thief holding it) composes; its session was ended, it logs in again with the account key…
    const row = await phone.client.composer.send(cid, 'sent by the thief');
    await phone.client.login();
    await phone.client.flush();
    // …and the service refuses the envelope (device_revoked): it never reaches the log.
    const out = (await allOutbox(phone.client.db)).find((r) => r.clientMessageId === row.clientMessageId);
    expect(out?.status).toBe('rejected');
    await bob.client.pull();
    expect(await bodies(bob, cid)).not.toContain('sent by the thief');
    // A hostile server stores it anyway: every client refuses it (DEV10), and keeps the phone's earlier messages.
    await service.dba.append(cid, 'message', row.envelope, laptop.id.userId);
    for (const [name, d] of [['laptop', laptop], ['bob', bob]] as const) {
      await d.client.pull();
      expect(await warnings(d, cid), name).toEqual(['revoked-device']);
      expect(await bodies(d, cid), name).not.toContain('sent by the thief');
      expect((await bodies(d, cid)).filter((b) => b?.startsWith('phone ')), name).toHaveLength(3);
    }
  });
});
