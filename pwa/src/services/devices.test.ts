// Two devices of one account (DEV4..DEV6, issue 12): a laptop and a phone, both holding
// alice's account keys from the key file, each with a device key of its own. They send
// concurrently, one of them offline for a while, and nobody sees a warning: each device
// keeps its own chain, so honest use never forks. Product code throughout (Device on
// fake-indexeddb) against the in-memory service, flushed by hand.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { chainOf, revokeDevice, verifyDeviceCertificate, type EnvelopeV2, type Identity } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { aliceAndBob, deliver, device, flush, type FakeService, type TestDevice } from '../../test/support/fake-service.ts';
import { getTranscript } from '../stores/conversations.ts';

/** Every warning code shown anywhere in the conversation on this device. */
async function warningsOn(d: TestDevice, cid: string): Promise<string[]> {
  return (await d.device.views.messages(cid)).flatMap((v) => v.warnings.map((w) => w.code));
}

async function bodiesOn(d: TestDevice, cid: string): Promise<string[]> {
  return (await d.device.views.messages(cid)).map((v) => v.body ?? '∅').sort();
}

describe('two devices of one account', () => {
  let service: FakeService;
  let aliceId: Identity;
  let laptop: TestDevice;
  let phone: TestDevice;
  let bob: TestDevice;
  let cid = '';

  beforeAll(async () => {
    let bobId: Identity;
    ({ service, aliceId, bobId } = await aliceAndBob());
    laptop = await device(service, aliceId);
    bob = await device(service, bobId);
    cid = await laptop.device.composer.startConversation('bob');
    // The phone holds the same account keys (the key file, DEV4) and a device key of its own.
    phone = await device(service, aliceId);
    await deliver(service, phone, cid);
    await deliver(service, bob, cid);
  });

  it('DEV6, DEV4: both send concurrently, then the phone is offline while the laptop and bob go on: no warning anywhere, every message read everywhere', async () => {
    // Concurrent: neither has seen the other's message before sealing its own.
    await laptop.device.composer.send(cid, 'laptop 1');
    await phone.device.composer.send(cid, 'phone 1');
    await flush(service, phone);
    await flush(service, laptop);
    for (const d of [laptop, phone, bob]) await deliver(service, d, cid);
    // The phone goes offline: it composes two messages it cannot send, while the laptop and bob carry on.
    await phone.device.composer.send(cid, 'phone 2 (offline)');
    await phone.device.composer.send(cid, 'phone 3 (offline)');
    await laptop.device.composer.send(cid, 'laptop 2');
    await flush(service, laptop);
    await deliver(service, bob, cid);
    await bob.device.composer.send(cid, 'bob 1');
    await flush(service, bob);
    await deliver(service, laptop, cid);
    await laptop.device.composer.send(cid, 'laptop 3');
    await flush(service, laptop);
    await deliver(service, bob, cid);
    // Back online: the phone sends what it composed, then everyone catches up.
    await flush(service, phone);
    await laptop.device.composer.send(cid, 'laptop 4');
    await flush(service, laptop);
    for (const d of [laptop, phone, bob]) await deliver(service, d, cid);

    const all = ['bob 1', 'laptop 1', 'laptop 2', 'laptop 3', 'laptop 4', 'phone 1', 'phone 2 (offline)', 'phone 3 (offline)'];
    for (const [name, d] of [['laptop', laptop], ['phone', phone], ['bob', bob]] as const) {
      expect(await warningsOn(d, cid), name).toEqual([]);
      expect(await bodiesOn(d, cid), name).toEqual(all);
    }
  });

  it('DEV5, DEV6: each device signs version 2 envelopes with its own certified key and counts its own chain from 1', async () => {
    const messages = (service.logs.get(cid) ?? []).filter((e) => e.kind === 'message').map((e) => e.body as EnvelopeV2);
    const fromAlice = messages.filter((m) => m.sender === 'alice');
    expect(fromAlice.every((m) => m.v === 2)).toBe(true);
    const chains = new Map<string, number[]>();
    for (const m of fromAlice) chains.set(chainOf(m), [...(chains.get(chainOf(m)) ?? []), m.counter]);
    // Two chains, one per device, each 1, 2, 3, … with no gap or repeat.
    expect([...chains.values()].map((c) => c.join(',')).sort()).toEqual(['1,2,3', '1,2,3,4']);
    for (const m of fromAlice) expect(await verifyDeviceCertificate(m.device, aliceId.public)).not.toBeNull();
    // Bob's transcript keeps a chain per device of alice's (and one for himself).
    const senders = Object.keys((await getTranscript(bob.db, cid))!.senders).sort();
    expect(senders).toHaveLength(3);
    expect(senders.filter((s) => s.startsWith('alice#'))).toHaveLength(2);
  });

  it('DEV8..DEV10: the laptop revokes the lost phone; what the phone sends afterwards is refused everywhere as revoked-device, what it sent before stays', async () => {
    const phoneId = await phone.device.deviceKeys.deviceId();
    const rev = await laptop.device.revocations.revoke(phoneId);
    // The cut-off is the phone's last message the laptop accepted in this conversation.
    expect(rev.cutoffs).toHaveLength(1);
    expect(rev.cutoffs[0]!.counter).toBe(3);
    // The thief keeps using the phone (it holds the account key and the device key).
    await phone.device.composer.send(cid, 'sent by the thief');
    await flush(service, phone);
    for (const d of [laptop, bob, phone]) await deliver(service, d, cid);
    for (const [name, d] of [['laptop', laptop], ['bob', bob]] as const) {
      const views = await d.device.views.messages(cid);
      expect(views.filter((v) => v.body === 'sent by the thief'), name).toEqual([]);
      expect(views.flatMap((v) => v.warnings.map((w) => w.code)), name).toEqual(['revoked-device']);
      // The phone's messages from before the revocation are still read, without a warning.
      expect(views.filter((v) => v.body?.startsWith('phone ')).length, name).toBe(3);
    }
  });

  it('DEV8: a revocation the service offers that the pinned key did not sign is ignored', async () => {
    const mallory = await fixtureIdentity('mallory', 'alice');
    const forged = await revokeDevice(mallory, { deviceId: await laptop.device.deviceKeys.deviceId(), createdAt: 1, lastSeen: [] });
    service.revocations.set('alice', [...(service.revocations.get('alice') ?? []), forged]);
    await laptop.device.composer.send(cid, 'laptop 5');
    await flush(service, laptop);
    await deliver(service, bob, cid);
    const views = await bob.device.views.messages(cid);
    expect(views.at(-1)).toMatchObject({ body: 'laptop 5', warnings: [] });
    expect(views.flatMap((v) => v.warnings.map((w) => w.code))).toEqual(['revoked-device']);
  });
});

