// The outbox: envelopes sealed at compose time, waiting to be sent. Shared by the page and
// the service worker. Adding a message and advancing the sending chain happen in one
// transaction, so a crash can never reuse a counter or lose a composed message.
import type { BatchResult, Envelope } from '../../../protocol/src/index.ts';
import type { ChainRow, Db, OutboxRow } from './db.ts';

export async function enqueue(db: Db, p: { envelope: Envelope; composedAt: number; kind: OutboxRow['kind']; hash: string }): Promise<OutboxRow> {
  const tx = db.transaction(['outbox', 'chains'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const chains = tx.objectStore('chains');
  const last = await outbox.index('byOrder').openCursor(null, 'prev');
  const order = (last?.value.order ?? 0) + 1;
  const env = p.envelope;
  // DEV6: only this device's own chain is continued (a version 1 row, or another device key's, is not).
  const deviceId = env.v === 2 ? env.device.deviceId : undefined;
  const stored = await chains.get(env.conversationId);
  const chain = stored?.deviceId === deviceId ? stored : undefined;
  if ((chain?.counter ?? 0) + 1 !== env.counter) {
    tx.done.catch(() => undefined); // the abort below rejects it: expected
    tx.abort();
    throw new Error(`outbox: counter ${env.counter} does not continue the chain at ${chain?.counter ?? 0}`);
  }
  const row: OutboxRow = {
    clientMessageId: env.clientMessageId, conversationId: env.conversationId, order, envelope: env,
    composedAt: p.composedAt, kind: p.kind, status: 'queued', seq: null, error: null, attempts: 0,
  };
  await outbox.add(row);
  const next: ChainRow = { conversationId: env.conversationId, counter: env.counter, prevHash: p.hash };
  if (deviceId !== undefined) next.deviceId = deviceId;
  await chains.put(next);
  await tx.done;
  return row;
}

/** Queued envelopes in compose order. */
export async function queued(db: Db): Promise<OutboxRow[]> {
  const all = await db.getAllFromIndex('outbox', 'byOrder');
  return all.filter((r) => r.status === 'queued');
}

export function outboxFor(db: Db, conversationId: string): Promise<OutboxRow[]> {
  return db.getAllFromIndex('outbox', 'byConversation', IDBKeyRange.bound([conversationId, 0], [conversationId, Infinity]));
}

export function allOutbox(db: Db): Promise<OutboxRow[]> {
  return db.getAllFromIndex('outbox', 'byOrder');
}

export async function markResults(db: Db, results: readonly Omit<BatchResult, 'conversationId'>[]): Promise<void> {
  const tx = db.transaction('outbox', 'readwrite');
  for (const r of results) {
    // The service names no id for an envelope it could not read; none of ours, then.
    if (r.clientMessageId === null) continue;
    const row = await tx.store.get(r.clientMessageId);
    if (!row || row.status !== 'queued') continue;
    if (r.status === 'rejected') {
      await tx.store.put({ ...row, status: 'rejected', error: r.error?.message ?? r.error?.code ?? 'rejected by the server', attempts: row.attempts + 1 });
    } else {
      await tx.store.put({ ...row, status: 'sent', seq: r.seq ?? null, attempts: row.attempts + 1 });
    }
  }
  await tx.done;
}

/** Once our own message has come back through the log, the outbox copy is no longer needed. */
export async function removeDelivered(db: Db, clientMessageIds: string[]): Promise<void> {
  if (clientMessageIds.length === 0) return;
  const tx = db.transaction('outbox', 'readwrite');
  for (const id of clientMessageIds) {
    await tx.store.delete(id);
  }
  await tx.done;
}
