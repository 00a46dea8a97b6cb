// The untrusted sync service, in memory, for the client's unit tests: its log can be
// appended to and rewritten at will (it can be made to lie), and its outbox is drained
// by hand (`flush`), so tests run with no timers and no sockets. Devices are the
// product's own Device (pwa/src/services/device.ts) on fake-indexeddb.
import 'fake-indexeddb/auto';
import type { EpochRecord, Envelope, Identity, PublicIdentity } from '../../../protocol/src/index.ts';
import type { Api, LogEntry } from '../../src/services/api.ts';
import { Device } from '../../src/services/device.ts';
import type { Directory } from '../../src/services/directory.ts';
import type { SyncHooks } from '../../src/services/sync.ts';
import { openDatabase, type Db } from '../../src/stores/db.ts';
import { identity as fixtureIdentity } from '../../../test/support/identities.ts';
import { markResults, queued } from '../../src/stores/outbox.ts';

export class FakeService {
  keys = new Map<string, PublicIdentity>();
  /** DEV8: device revocations as the service would serve them, per user (unchecked, like the real one's answers). */
  revocations = new Map<string, unknown[]>();
  logs = new Map<string, LogEntry[]>();
  /** Entries per POST /sync answer. */
  pageSize = 500;
  /** Every POST /sync request's cursors, in order. */
  syncRequests: Record<string, number>[] = [];
  /** Every GET /conversations/{id}/log request: the conversation and the seq it continues after. */
  logRequests: [string, number][] = [];
  /** When each conversation's latest entry was stored, as GET /conversations says it (default: from its log). */
  latestAt = new Map<string, number>();
  /** Requests to hold: POST /sync waits while this is a pending promise (a restore interrupted mid-stream). */
  syncGate: Promise<void> | null = null;

  append(conversationId: string, kind: 'epoch' | 'message', body: unknown): number {
    const log = this.logs.get(conversationId) ?? [];
    const seq = log.length + 1;
    log.push({ conversationId, seq, kind, body: structuredClone(body), createdAt: new Date(1_700_000_000_000 + seq).toISOString() });
    this.logs.set(conversationId, log);
    return seq;
  }

  /** The parts of the API the client's services call; anything else throws. */
  api(): Api {
    return {
      keys: async (userId: string) => {
        const identity = this.keys.get(userId);
        if (!identity) throw Object.assign(new Error('unknown'), { status: 404 });
        return { userId, displayName: userId, current: { version: 1, identity, proof: '', createdAt: '' }, history: [] };
      },
      devices: async (userId: string) => ({ userId, certificates: [], revocations: structuredClone(this.revocations.get(userId) ?? []) }),
      publishDevice: async (certificate: unknown) => ({ certificate }),
      revokeDevice: async (_deviceId: string, revocation: { userId: string }) => {
        this.revocations.set(revocation.userId, [...(this.revocations.get(revocation.userId) ?? []), structuredClone(revocation)]);
        return { revocation, sessionsEnded: 0 };
      },
      createConversation: async (record: EpochRecord) => ({ conversationId: record.conversationId, seq: this.append(record.conversationId, 'epoch', record) }),
      addEpoch: async (id: string, record: EpochRecord) => ({ seq: this.append(id, 'epoch', record) }),
      conversations: async () => ({
        conversations: [...this.logs].map(([conversationId, log]) => ({ conversationId, latestSeq: log.length, latestEpoch: 0, latestAt: this.latestAt.get(conversationId) ?? (Date.parse(log.at(-1)?.createdAt ?? '') || 0), members: [] })),
      }),
      log: async (cid: string, after: number, limit = 500) => {
        this.logRequests.push([cid, after]);
        const rest = (this.logs.get(cid) ?? []).filter((e) => e.seq > after);
        const n = Math.min(limit, this.pageSize);
        return { entries: structuredClone(rest.slice(0, n)), nextAfter: rest[n - 1]?.seq ?? after, hasMore: rest.length > n };
      },
      sync: async (cursors: Record<string, number>) => {
        this.syncRequests.push({ ...cursors });
        if (this.syncGate) await this.syncGate;
        const all = [...this.logs].flatMap(([cid, log]) => log.filter((e) => e.seq > (cursors[cid] ?? 0)));
        return { entries: structuredClone(all.slice(0, this.pageSize)), cursors: {}, hasMore: all.length > this.pageSize };
      },
    } as unknown as Api;
  }
}

export interface TestDevice {
  db: Db;
  api: Api;
  device: Device;
  directory: Directory;
  identity: Identity;
}

/** A fake service that knows the published keys of alice and bob (the fixed identities of test/support). */
export async function aliceAndBob(): Promise<{ service: FakeService; aliceId: Identity; bobId: Identity }> {
  const service = new FakeService();
  const [aliceId, bobId] = await Promise.all([fixtureIdentity('alice'), fixtureIdentity('bob')]);
  service.keys.set('alice', aliceId.public);
  service.keys.set('bob', bobId.public);
  return { service, aliceId, bobId };
}

let counter = 0;

/** A fresh device for `identity` (its own database) on `service`. */
export async function device(service: FakeService, identity: Identity, hooks?: Partial<SyncHooks>): Promise<TestDevice> {
  const db = await openDatabase(`unit-${++counter}-${identity.userId}`);
  const api = service.api();
  const d = new Device({ db, api, identity, hooks });
  return { db, api, device: d, directory: d.directory, identity };
}

/** What the outbox flush does, by hand: store queued envelopes in the service's log. */
export async function flush(service: FakeService, d: TestDevice, filter: (e: Envelope) => boolean = () => true): Promise<Envelope[]> {
  const rows = await queued(d.db);
  const sent: Envelope[] = [];
  const results = [];
  for (const r of rows) {
    if (!filter(r.envelope)) continue;
    const seq = service.append(r.conversationId, 'message', r.envelope);
    results.push({ clientMessageId: r.clientMessageId, status: 'stored' as const, seq });
    sent.push(r.envelope);
  }
  await markResults(d.db, results);
  return sent;
}

/** Hand a conversation's whole log to the device's ingest, as one page. */
export function deliver(service: FakeService, d: TestDevice, conversationId: string, live = true) {
  const log = service.logs.get(conversationId) ?? [];
  return d.device.ingest.ingest(log, { live });
}

/** alice and bob, each on a device, in a conversation alice started and bob accepted. */
export async function aliceAndBobTalking(): Promise<{ service: FakeService; alice: TestDevice; bob: TestDevice; id: string }> {
  const { service, aliceId, bobId } = await aliceAndBob();
  const alice = await device(service, aliceId);
  const bob = await device(service, bobId);
  const id = await alice.device.composer.startConversation('bob');
  await bob.device.requests.classify();
  await deliver(service, bob, id);
  await bob.device.requests.accept(id);
  return { service, alice, bob, id };
}
