// The received log of each conversation, exactly as the service returned it (ciphertext),
// with the verification result of each entry, and the delivery receipts seen.
import { mergeConversation } from './conversations.ts';
import type { ConversationRow, Db, EntryCheck, LogRow, ReceiptRow } from './db.ts';

export function getLog(db: Db, conversationId: string, afterSeq = 0): Promise<LogRow[]> {
  return db.getAll('log', IDBKeyRange.bound([conversationId, afterSeq + 1], [conversationId, Infinity]));
}

export async function lastEntries(db: Db, conversationId: string, n: number): Promise<LogRow[]> {
  const out: LogRow[] = [];
  let cursor = await db.transaction('log').store.openCursor(IDBKeyRange.bound([conversationId, 0], [conversationId, Infinity]), 'prev');
  while (cursor && out.length < n) {
    out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out;
}

export async function putEntry(db: Db, row: LogRow): Promise<void> {
  await db.put('log', row);
}

export async function setCheck(db: Db, conversationId: string, seq: number, check: EntryCheck): Promise<void> {
  const tx = db.transaction('log', 'readwrite');
  const row = await tx.store.get([conversationId, seq]);
  if (row) await tx.store.put({ ...row, check });
  await tx.done;
}

export function countEntries(db: Db): Promise<number> {
  return db.count('log');
}

export async function addReceipts(db: Db, conversationId: string, refs: string[], by: string): Promise<void> {
  const tx = db.transaction('receipts', 'readwrite');
  for (const ref of refs) {
    const row = (await tx.store.get(ref)) ?? { clientMessageId: ref, conversationId, by: [] };
    if (row.conversationId !== conversationId) continue; // a receipt only counts in its own conversation
    if (!row.by.includes(by)) await tx.store.put({ ...row, by: [...row.by, by] });
  }
  await tx.done;
}

export async function receiptsFor(db: Db, conversationId: string): Promise<Map<string, ReceiptRow>> {
  const all = await db.getAll('receipts');
  return new Map(all.filter((r) => r.conversationId === conversationId).map((r) => [r.clientMessageId, r]));
}

/** What receiving a run of entries of one conversation changes (see commitReceived). */
export interface ReceivedBatch {
  /** The entries and their checks, in seq order. */
  entries: LogRow[];
  /** The conversation after the last of them (cursor, activity, unread). */
  conversation: ConversationRow;
  /** The conversation as read when ingest began: the commit applies the difference (L8). */
  base: ConversationRow;
  /** The transcript after the last of them, when it changed. */
  transcript?: import('../../../protocol/src/index.ts').TranscriptState;
  /** Epochs opened among them. */
  epochs?: import('./db.ts').EpochRow[];
  /** Delivery receipts among them, in seq order. */
  receipts?: { refs: string[]; by: string }[];
  /**
   * Our own messages among them, in seq order: each leaves the outbox; those with
   * `deviceId` (this device's chain, DEV6) also move the sending chain.
   */
  ownChains?: { counter: number; hash: string; clientMessageId: string; deviceId?: string }[];
}

/**
 * Everything that receiving a page of log entries changes, over any conversations, written
 * in ONE transaction: the entries and their checks, each conversation's transcript and row
 * (cursor, activity, unread), opened epochs, receipts, and our own messages leaving the
 * outbox. A crash leaves either all or none: the cursors move with the entries.
 */
export async function commitReceivedBatch(db: Db, batches: ReceivedBatch[]): Promise<void> {
  if (batches.length === 0) return;
  const tx = db.transaction(['log', 'transcripts', 'conversations', 'epochs', 'receipts', 'outbox', 'chains'], 'readwrite');
  const writes: Promise<unknown>[] = [];
  const log = tx.objectStore('log');
  const receipts = tx.objectStore('receipts');
  const chains = tx.objectStore('chains');
  const outbox = tx.objectStore('outbox');
  for (const b of batches) {
    const cid = b.conversation.conversationId;
    for (const e of b.entries) writes.push(log.put(e));
    if (b.transcript) writes.push(tx.objectStore('transcripts').put({ conversationId: cid, state: b.transcript }));
    for (const ep of b.epochs ?? []) writes.push(tx.objectStore('epochs').put(ep));
  }
  try {
    await readModifyWrite(tx.objectStore('conversations'), batches, receipts, chains, outbox, writes);
  } catch (e) {
    for (const w of writes) w.catch(() => undefined);
    tx.done.catch(() => undefined);
    throw e;
  }
  await Promise.all([...writes, tx.done]);
}

// Read-modify-write rows, in order, after the blind puts have been queued.
async function readModifyWrite(
  conversations: { get(k: string): Promise<ConversationRow | undefined>; put(v: ConversationRow): Promise<unknown> },
  batches: ReceivedBatch[],
  receipts: { get(k: string): Promise<ReceiptRow | undefined>; put(v: ReceiptRow): Promise<unknown> },
  chains: { get(k: string): Promise<import('./db.ts').ChainRow | undefined>; put(v: import('./db.ts').ChainRow): Promise<unknown> },
  outbox: { delete(k: string): Promise<unknown>; getAllKeys(): Promise<string[]> },
  writes: Promise<unknown>[],
): Promise<void> {
  // Our own messages leave the outbox: only those still in it are deleted (a restored
  // history holds thousands of our messages and an empty outbox).
  const queued = batches.some((b) => (b.ownChains?.length ?? 0) > 0) ? new Set(await outbox.getAllKeys()) : new Set<string>();
  for (const b of batches) {
    const cid = b.conversation.conversationId;
    // L8: merge into the row as it is now, inside this transaction, not the row read at the start.
    writes.push(conversations.put(mergeConversation(await conversations.get(cid), b.base, b.conversation)));
    for (const r of b.receipts ?? []) {
      for (const ref of r.refs) {
        const row = (await receipts.get(ref)) ?? { clientMessageId: ref, conversationId: cid, by: [] };
        if (row.conversationId === cid && !row.by.includes(r.by)) await receipts.put({ ...row, by: [...row.by, r.by] });
      }
    }
    const own = b.ownChains ?? [];
    if (own.length > 0) {
      for (const o of own) if (queued.has(o.clientMessageId)) writes.push(outbox.delete(o.clientMessageId));
      const mine = own.filter((o) => o.deviceId !== undefined);
      if (mine.length > 0) {
        const top = mine.reduce((a, o) => (o.counter > a.counter ? o : a));
        const cur = await chains.get(cid);
        if (!cur || cur.deviceId !== top.deviceId || cur.counter < top.counter) {
          await chains.put({ conversationId: cid, counter: top.counter, prevHash: top.hash, deviceId: top.deviceId! });
        }
      }
    }
  }
}

/**
 * Everything that receiving one log entry changes, written in one transaction: the entry
 * and its check, the transcript, the conversation (cursor, activity, unread), an opened
 * epoch, receipts, and our own message leaving the outbox. A crash leaves either all or none.
 */
export async function commitReceived(
  db: Db,
  p: {
    entry: LogRow;
    /** The conversation as it was read before the work began (L8: the difference is merged into the row as it is now). */
    base: ConversationRow;
    /** The conversation after the entry; `lastSeq` moves to the entry only if it is the next seq of the row as it is now. */
    conversation: ConversationRow;
    transcript?: import('../../../protocol/src/index.ts').TranscriptState;
    epoch?: import('./db.ts').EpochRow;
    receipt?: { refs: string[]; by: string };
    ownChain?: { counter: number; hash: string; clientMessageId: string };
  },
): Promise<void> {
  const tx = db.transaction(['log', 'transcripts', 'conversations', 'epochs', 'receipts', 'outbox', 'chains'], 'readwrite');
  const cid = p.entry.conversationId;
  await tx.objectStore('log').put(p.entry);
  const conversations = tx.objectStore('conversations');
  const current = await conversations.get(cid);
  // Entries between the cursor and this seq are fetched by the next pull: the cursor moves
  // only when nothing is skipped, judged against the cursor as it is now.
  const last = current?.lastSeq ?? p.base.lastSeq;
  const next = { ...p.conversation, lastSeq: p.entry.seq === last + 1 ? p.entry.seq : last };
  await conversations.put(mergeConversation(current, { ...p.base, lastSeq: last }, next));
  if (p.transcript) await tx.objectStore('transcripts').put({ conversationId: cid, state: p.transcript });
  if (p.epoch) await tx.objectStore('epochs').put(p.epoch);
  if (p.receipt) {
    const store = tx.objectStore('receipts');
    for (const ref of p.receipt.refs) {
      const row = (await store.get(ref)) ?? { clientMessageId: ref, conversationId: cid, by: [] };
      if (row.conversationId === cid && !row.by.includes(p.receipt.by)) await store.put({ ...row, by: [...row.by, p.receipt.by] });
    }
  }
  if (p.ownChain) {
    await tx.objectStore('outbox').delete(p.ownChain.clientMessageId);
    const chains = tx.objectStore('chains');
    const cur = await chains.get(cid);
    if (!cur || cur.counter < p.ownChain.counter) await chains.put({ conversationId: cid, counter: p.ownChain.counter, prevHash: p.ownChain.hash });
  }
  await tx.done;
}
