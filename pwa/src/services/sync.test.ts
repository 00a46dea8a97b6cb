// Sync: pulling in pages from the cursors, live entries in order (a gap becomes a pull),
// and delivery receipts sealed for new texts from others (R2) unless acknowledging is off.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../../protocol/src/index.ts';
import { fixtureIdentity } from '../../../test/hardening/support/identities.ts';
import { device, FakeService, flush, type TestDevice } from '../../test/support/fake-service.ts';
import { getConversation } from '../stores/conversations.ts';
import { queued } from '../stores/outbox.ts';

describe('sync', () => {
  let service: FakeService;
  let alice: TestDevice;
  let bob: TestDevice;
  let bobId: Identity;
  let kicks = 0;
  let refreshes = 0;
  let id = '';

  beforeEach(async () => {
    service = new FakeService();
    const aliceId = await fixtureIdentity('alice');
    bobId = await fixtureIdentity('bob');
    service.keys.set('alice', aliceId.public);
    service.keys.set('bob', bobId.public);
    kicks = 0;
    refreshes = 0;
    alice = await device(service, aliceId);
    bob = await device(service, bobId, { kick: () => kicks++, ingested: async () => void refreshes++ });
    id = await alice.device.composer.startConversation('bob');
    for (const t of ['one', 'two', 'three', 'four']) await alice.device.composer.send(id, t);
    await flush(service, alice);
  });

  it('pulls page after page from the cursors this page leaves, then seals one receipt for the new texts', async () => {
    service.pageSize = 2;
    // Bob took alice's conversation in already (THREATS L3: a request gets no receipts; see below).
    await bob.device.requests.accept(id);
    const report = await bob.device.sync.pull({ live: true });
    expect(report.processed).toBe(5);
    expect(service.syncRequests).toEqual([{}, { [id]: 2 }, { [id]: 4 }]);
    expect(await bob.device.sync.cursors()).toEqual({ [id]: 5 });
    const receipts = await queued(bob.db);
    expect(receipts.map((r) => r.kind)).toEqual(['receipt']);
    expect(kicks).toBe(1);
    expect(refreshes).toBe(1);
  });

  it('L3 seals no receipt for a request: a stranger\'s conversation is not acknowledged until accepted', async () => {
    const report = await bob.device.sync.pull({ live: true });
    expect(report.toAcknowledge.get(id)).toHaveLength(4);
    expect((await bob.device.requests.classify()).get(id)).toMatchObject({ state: 'request', from: 'alice' });
    expect(await queued(bob.db)).toEqual([]);
    expect(kicks).toBe(0);
  });

  it('acknowledges nothing while acknowledging is off (history at restore)', async () => {
    bob.device.sync.acknowledge = false;
    const report = await bob.device.sync.pull({ live: true });
    expect(report.toAcknowledge.get(id)).toHaveLength(4);
    expect(await queued(bob.db)).toEqual([]);
    expect(kicks).toBe(0);
    expect(refreshes).toBe(1);
  });

  it('ingests the next live entry directly, ignores one already stored, and pulls when one is missing', async () => {
    const log = service.logs.get(id)!;
    await bob.device.sync.onLiveEntry(log[0]!);
    expect((await getConversation(bob.db, id))?.lastSeq).toBe(1);
    expect(service.syncRequests).toEqual([]);
    await bob.device.sync.onLiveEntry(log[0]!);
    expect(service.syncRequests).toEqual([]);
    await bob.device.sync.onLiveEntry(log[3]!); // seq 4 after 1: 2 and 3 are fetched by a pull
    expect(service.syncRequests).toEqual([{ [id]: 1 }]);
    expect((await getConversation(bob.db, id))?.lastSeq).toBe(5);
    expect((await bob.device.views.messages(id)).map((m) => m.body)).toEqual(['one', 'two', 'three', 'four']);
  });

  it('runs pulls and live entries one after another, in the order they came', async () => {
    const log = service.logs.get(id)!;
    const order: string[] = [];
    const a = bob.device.sync.pull({ live: true }).then(() => order.push('pull'));
    const b = bob.device.sync.onLiveEntry(log[4]!).then(() => order.push('live'));
    const c = bob.device.sync.enqueue(async () => order.push('queued'));
    await Promise.all([a, b, c]);
    expect(order).toEqual(['pull', 'live', 'queued']);
    expect(service.syncRequests).toHaveLength(1); // the live entry was already stored by the pull
  });
});
