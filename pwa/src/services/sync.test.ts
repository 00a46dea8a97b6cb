// Sync: pulling in pages from the cursors, live entries in order (a gap becomes a pull),
// and delivery receipts sealed for new texts from others (R2) unless acknowledging is off.
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../../protocol/src/index.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
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

describe('L3 sync pages by conversation windows', () => {
  it('L3 a pull from 2,500 known conversations names at most one window of cursors per request, follows nextAfter, and reaches the last conversation', async () => {
    const { openDatabase } = await import('../stores/db.ts');
    const { newConversationRow, putConversation } = await import('../stores/conversations.ts');
    const { CURSOR_WINDOW } = await import('../../../protocol/src/frames.ts');
    const { Sync } = await import('./sync.ts');
    const db = await openDatabase(`l3-windows-${Date.now()}`);
    const ids = Array.from({ length: 2500 }, (_, i) => `c-${String(i).padStart(5, '0')}`);
    for (const cid of ids) await putConversation(db, { ...newConversationRow(cid, 1), lastSeq: 1 });
    // The service as API.md says: one window of the caller's conversations per request.
    const requests: { after?: string; until?: string; named: number }[] = [];
    const last = ids[ids.length - 1]!;
    const api = {
      sync: async (cursors: Record<string, number>, _limit?: number, w: { after?: string; until?: string } = {}) => {
        requests.push({ ...w, named: Object.keys(cursors).length });
        const window = ids.filter((cid) => (w.after === undefined || cid > w.after) && (w.until === undefined || cid <= w.until)).slice(0, 1000);
        const entries = window.filter((cid) => cid === last && (cursors[cid] ?? 0) < 2).map((cid) => ({ conversationId: cid, seq: 2, kind: 'message' as const, body: {}, createdAt: '' }));
        const end = window[window.length - 1];
        const more = end !== undefined && end !== last;
        return { entries, cursors: Object.fromEntries(window.map((cid) => [cid, cid === last ? 2 : 1])), hasMore: more, ...(more ? { nextAfter: end } : {}) };
      },
    };
    const ingested: string[] = [];
    const sync = new Sync({
      db, api: api as never, composer: {} as never,
      ingest: { ingest: async (entries: { conversationId: string }[]) => { for (const e of entries) ingested.push(e.conversationId); return { processed: entries.length, toAcknowledge: new Map() }; } } as never,
      hooks: { viewing: () => null, kick: () => undefined, ingested: async () => undefined },
    });
    await sync.pull({ live: true });
    expect(ingested).toEqual([last]);
    expect(requests.length).toBe(3);
    for (const r of requests) expect(r.named).toBeLessThanOrEqual(CURSOR_WINDOW);
    expect(requests.map((r) => r.after)).toEqual([undefined, ids[999], ids[1999]]);
    db.close();
  });
});
