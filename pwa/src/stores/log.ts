// The received log of each conversation, exactly as the service returned it (ciphertext),
// with the verification result of each entry, and the delivery receipts seen.
import type { Db, EntryCheck, LogRow, ReceiptRow } from './db.ts';

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

/**
 * Everything that receiving one log entry changes, written in one transaction: the entry
 * and its check, the transcript, the conversation (cursor, activity, unread), an opened
 * epoch, receipts, and our own message leaving the outbox. A crash leaves either all or none.
 */
export async function commitReceived(
  db: Db,
  p: {
    entry: LogRow;
    conversation: import('./db.ts').ConversationRow;
    transcript?: import('../../../protocol/src/index.ts').TranscriptState;
    epoch?: import('./db.ts').EpochRow;
    receipt?: { refs: string[]; by: string };
    ownChain?: { counter: number; hash: string; clientMessageId: string };
  },
): Promise<void> {
  const tx = db.transaction(['log', 'transcripts', 'conversations', 'epochs', 'receipts', 'outbox', 'chains'], 'readwrite');
  const cid = p.entry.conversationId;
  await tx.objectStore('log').put(p.entry);
  await tx.objectStore('conversations').put(p.conversation);
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
